package app

import (
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/access"
)

// guardRules are the procedures whose rule is not the default (Read for
// RPCs without side effects, Admin for the rest). The key vault checks its
// own callers.
var guardRules = map[string]access.Rule{
	// Model calls: the router authenticates virtual keys itself.
	routerv1connect.RouterServiceGenerateProcedure:       access.Open,
	routerv1connect.RouterServiceGenerateStreamProcedure: access.Open,
	routerv1connect.RouterServiceEmbedProcedure:          access.Open,
	routerv1connect.RouterServiceCountTokensProcedure:    access.Open,
	routerv1connect.RouterServiceListModelsProcedure:     access.OpenOrRead, // admins see the whole catalog
	// Routers and workers feed on these.
	promptsv1connect.PromptServiceWatchPromptsProcedure:    access.Read,
	quotav1connect.QuotaServiceWatchPricesProcedure:        access.Read,
	quotav1connect.QuotaServiceReserveProcedure:            access.Internal,
	quotav1connect.QuotaServiceSettleProcedure:             access.Internal,
	quotav1connect.QuotaServiceReleaseProcedure:            access.Internal,
	quotav1connect.QuotaServiceAcquireLeaseProcedure:       access.Internal,
	quotav1connect.QuotaServiceRenewLeaseProcedure:         access.Internal,
	quotav1connect.QuotaServiceReturnLeaseProcedure:        access.Internal,
	auditv1connect.AuditServiceRecordCallsProcedure:        access.Internal,
	auditv1connect.AuditServiceRecordAdminActionsProcedure: access.Internal,
	auditv1connect.AuditServiceExportCallsProcedure:        access.Read,
	// Developers manage prompts and chains and start runs; deleting them
	// is for admins.
	promptsv1connect.PromptServiceCreatePromptProcedure:         access.Developer,
	promptsv1connect.PromptServiceUpdatePromptProcedure:         access.Developer,
	promptsv1connect.PromptServiceSetLabelProcedure:             access.Developer,
	promptsv1connect.PromptServiceDeleteLabelProcedure:          access.Developer,
	promptsv1connect.PromptServicePublishPromptProcedure:        access.Developer,
	promptsv1connect.PromptServiceUnpublishPromptProcedure:      access.Developer,
	workflowsv1connect.WorkflowServicePutChainProcedure:         access.Developer,
	workflowsv1connect.WorkflowServiceSetChainLabelProcedure:    access.Developer,
	workflowsv1connect.WorkflowServiceDeleteChainLabelProcedure: access.Developer,
	workflowsv1connect.WorkflowServiceStartRunProcedure:         access.Developer,
	workflowsv1connect.WorkflowServiceCancelRunProcedure:        access.Developer,
	workflowsv1connect.WorkflowServiceWatchRunProcedure:         access.Read,
	// Any admin key may answer an approval; the run checks that its
	// principal is one of the step's approvers.
	workflowsv1connect.WorkflowServiceApproveStepProcedure: access.Read,
	workflowsv1connect.WorkflowServiceRejectStepProcedure:  access.Read,
}

// guard puts the admin guard in front of every service this process runs
// and starts the admin-action log, which sends to the audit service.
func guard(d *deps) {
	vault := d.target("keyvault", d.cfg.KeyVault.Addr)
	auditTarget := d.target("audit", d.cfg.CallLog.AuditAddr)
	actions := access.NewActionLog(
		auditv1connect.NewAuditServiceClient(auditTarget.Client, auditTarget.BaseURL),
		d.logger.With("component", "admin-actions"))
	go actions.Run(d.flush)
	d.stopped = append(d.stopped, actions.Done())
	d.server.Guard(access.NewGuard(access.GuardConfig{
		Required:      d.cfg.KeyVault.AuthRequired,
		InternalToken: d.cfg.KeyVault.InternalToken,
		AdminToken:    d.cfg.KeyVault.AdminToken,
		Vault:         keyvaultv1connect.NewKeyVaultServiceClient(vault.Client, vault.BaseURL),
		Rules:         guardRules,
		Actions:       actions,
	}).Interceptor())
}
