// Providers, their credentials (masked: the vault never returns secrets),
// the model catalog and the routes over it.
import { CredentialHealthStatus } from "@gen/manifold/keyvault/v1/keyvault_pb.js";
import { ProviderKind, Strategy } from "@gen/manifold/router/v1/router_pb.js";
import { enumName, fmtCost, fmtTime, keyvault, router } from "../api";
import { Badge, Page, Refresh, Section, Status, useLoad } from "../ui";

export function Providers() {
  const providers = useLoad(() => router.listProviders({}));
  const credentials = useLoad(() => keyvault.listCredentials({ pageSize: 1000 }));
  const models = useLoad(() => router.listModels({}));
  const routes = useLoad(() => router.listRoutes({}));
  const all = {
    loading: providers.loading || credentials.loading || models.loading || routes.loading,
    reload: () => [providers, credentials, models, routes].forEach((l) => l.reload()),
  };
  return (
    <Page title="Providers & routes" actions={<Refresh l={all} />}>
      <Section title="Providers" testid="providers">
        <Status l={providers} empty={(d) => d.providers.length === 0}>
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Kind</th>
                  <th>Base URL</th>
                  <th>Credentials</th>
                </tr>
              </thead>
              <tbody>
                {d.providers.map((p) => (
                  <tr>
                    <td>{p.name}</td>
                    <td>{enumName(ProviderKind, p.kind, "PROVIDER_KIND_")}</td>
                    <td class="mono">{p.baseUrl || "—"}</td>
                    <td>{p.credentials.map((c) => `${c.name}${c.weight ? ` ×${c.weight}` : ""}`).join(", ") || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </Section>
      <Section title="Credentials" testid="credentials">
        <Status l={credentials} empty={(d) => d.credentials.length === 0}>
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Provider</th>
                  <th>Secret</th>
                  <th>Version</th>
                  <th>Health</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.credentials.map((c) => (
                  <tr>
                    <td>{c.name}</td>
                    <td>{c.provider}</td>
                    <td class="mono" data-testid="masked">
                      {c.masked}
                    </td>
                    <td>{c.currentVersion}</td>
                    <td>
                      {c.disabled ? (
                        <Badge text="disabled" tone="warn" />
                      ) : (
                        <Badge
                          text={c.health?.status ? enumName(CredentialHealthStatus, c.health.status, "CREDENTIAL_HEALTH_STATUS_") : "no reports yet"}
                          tone={c.health?.status === CredentialHealthStatus.INVALID ? "bad" : c.health?.status === CredentialHealthStatus.COOLING_DOWN ? "warn" : c.health?.status ? "ok" : undefined}
                        />
                      )}
                    </td>
                    <td>{fmtTime(c.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </Section>
      <Section title="Models" testid="models">
        <Status l={models} empty={(d) => d.models.length === 0}>
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Provider</th>
                  <th>Upstream model</th>
                  <th>Context</th>
                  <th>Input / output per Mtok</th>
                </tr>
              </thead>
              <tbody>
                {d.models.map((m) => (
                  <tr>
                    <td>{m.name}</td>
                    <td>{m.provider}</td>
                    <td class="mono">{m.upstreamModel || "—"}</td>
                    <td>{m.contextWindow ? String(m.contextWindow) : "—"}</td>
                    <td>{m.prices ? `${fmtCost(m.prices.inputPerMtokMicros)} / ${fmtCost(m.prices.outputPerMtokMicros)}` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </Section>
      <Section title="Routes" testid="routes">
        <Status l={routes} empty={(d) => d.routes.length === 0}>
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th>Alias</th>
                  <th>Strategy</th>
                  <th>Targets</th>
                  <th>Cache</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.routes.map((r) => (
                  <tr>
                    <td>{r.name}</td>
                    <td>{enumName(Strategy, r.strategy, "STRATEGY_") || "priority"}</td>
                    <td>{r.targets.map((t) => `${t.model}${t.weight ? ` ×${t.weight}` : ""}${t.credential ? ` (${t.credential})` : ""}`).join(" → ")}</td>
                    <td>{r.cache?.enabled ? "on" : "off"}</td>
                    <td>{fmtTime(r.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Status>
      </Section>
    </Page>
  );
}
