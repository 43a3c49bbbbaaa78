package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
)

// credentials manages provider credentials: put, list, rotate, delete.
// Secrets are read from environment variables named by flags, never from
// the command line, where other users of the machine could see them.
func credentials(ctx context.Context, args []string, env Env) error {
	verb, args, err := subcommand("credentials", args, env, "put", "list", "rotate", "delete")
	if err != nil {
		return err
	}
	var r remote
	fs := newFlagSet("credentials "+verb, credentialsSummary[verb], env)
	r.register(fs)
	var (
		name, provider, description, apiKeyEnv, akid, awsSecretEnv string
		weight                                                     uint
		disabled                                                   bool
		grace                                                      time.Duration
	)
	secretFlags := func() {
		fs.StringVar(&apiKeyEnv, "api-key-env", "", "environment variable holding the API key")
		fs.StringVar(&akid, "aws-access-key-id", "", "AWS access key id (Bedrock), with --aws-secret-key-env")
		fs.StringVar(&awsSecretEnv, "aws-secret-key-env", "", "environment variable holding the AWS secret access key")
	}
	switch verb {
	case "put":
		fs.StringVar(&name, "name", "", "the credential's name, e.g. openai-prod-1 (required)")
		fs.StringVar(&provider, "provider", "", "the router provider it is for, e.g. openai (required)")
		fs.UintVar(&weight, "weight", 1, "relative weight in the provider's key pool, 1 to 1000")
		fs.StringVar(&description, "description", "", "a description (never the secret)")
		fs.BoolVar(&disabled, "disabled", false, "keep it out of the key pool")
		secretFlags()
	case "list":
		fs.StringVar(&provider, "provider", "", "only this provider's key pool")
	case "rotate":
		fs.StringVar(&name, "name", "", "the credential's name (required)")
		fs.DurationVar(&grace, "grace", time.Hour, "how long the previous version stays valid")
		secretFlags()
	case "delete":
		fs.StringVar(&name, "name", "", "the credential's name (required)")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	if verb != "list" && name == "" {
		return usageError{errors.New("missing --name")}
	}
	secret := func() (*keyvaultv1.CredentialSecret, error) {
		switch {
		case apiKeyEnv != "" && akid != "":
			return nil, usageError{errors.New("give either --api-key-env or --aws-access-key-id, not both")}
		case apiKeyEnv != "":
			v := env.Getenv(apiKeyEnv)
			if v == "" {
				return nil, usageError{fmt.Errorf("invalid --api-key-env: environment variable %s is empty", apiKeyEnv)}
			}
			return &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: v}}, nil
		case akid != "":
			v := env.Getenv(awsSecretEnv)
			if awsSecretEnv == "" || v == "" {
				return nil, usageError{errors.New("invalid --aws-secret-key-env: name a non-empty environment variable holding the secret access key")}
			}
			return &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_Aws{Aws: &keyvaultv1.AwsSecret{AccessKeyId: akid, SecretAccessKey: v}}}, nil
		}
		return nil, nil
	}
	c := keyVaultClient(&r)
	var cred *keyvaultv1.ProviderCredential
	switch verb {
	case "put":
		if provider == "" {
			return usageError{errors.New("missing --provider")}
		}
		if weight < 1 || weight > 1000 {
			return usageError{fmt.Errorf("invalid --weight %d: want 1 to 1000", weight)}
		}
		s, err := secret()
		if err != nil {
			return err
		}
		res, err := c.PutCredential(ctx, connect.NewRequest(&keyvaultv1.PutCredentialRequest{
			Credential: &keyvaultv1.ProviderCredential{Name: name, Provider: provider, Weight: uint32(weight), Description: description, Disabled: disabled},
			Secret:     s,
		}))
		if err != nil {
			return rpcError(err)
		}
		cred = res.Msg.GetCredential()
	case "rotate":
		s, err := secret()
		if err != nil {
			return err
		}
		if s == nil {
			return usageError{errors.New("name the new secret with --api-key-env or --aws-access-key-id")}
		}
		if grace < 0 {
			return usageError{fmt.Errorf("invalid --grace %s: must not be negative", grace)}
		}
		res, err := c.RotateCredential(ctx, connect.NewRequest(&keyvaultv1.RotateCredentialRequest{Name: name, Secret: s, GracePeriod: durationpb.New(grace)}))
		if err != nil {
			return rpcError(err)
		}
		cred = res.Msg.GetCredential()
	case "delete":
		res, err := c.DeleteCredential(ctx, connect.NewRequest(&keyvaultv1.DeleteCredentialRequest{Name: name}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		_, err = fmt.Fprintf(env.Stdout, "deleted %s\n", name)
		return err
	default: // list
		res, err := c.ListCredentials(ctx, connect.NewRequest(&keyvaultv1.ListCredentialsRequest{PageSize: 1000, Provider: provider}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		rows := make([][]string, 0, len(res.Msg.GetCredentials()))
		for _, c := range res.Msg.GetCredentials() {
			rows = append(rows, credentialRow(c))
		}
		return printTable(env.Stdout, credentialHeader, rows)
	}
	if r.output == "json" {
		return printJSON(env.Stdout, cred)
	}
	return printTable(env.Stdout, credentialHeader, [][]string{credentialRow(cred)})
}

var credentialsSummary = map[string]string{
	"put":    "Creates a provider credential, or updates its settings; a secret given for an existing one replaces it at once. Secrets come from environment variables.",
	"list":   "Lists provider credentials, masked.",
	"rotate": "Stores a new secret version; the previous one stays valid for --grace.",
	"delete": "Destroys a credential and all its versions.",
}

var credentialHeader = []string{"NAME", "PROVIDER", "WEIGHT", "VERSION", "SECRET", "HEALTH", "ENABLED"}

func credentialRow(c *keyvaultv1.ProviderCredential) []string {
	health := strings.ToLower(strings.TrimPrefix(c.GetHealth().GetStatus().String(), "CREDENTIAL_HEALTH_STATUS_"))
	if health == "unspecified" {
		health = "healthy"
	}
	return []string{c.GetName(), c.GetProvider(), strconv.Itoa(int(max(c.GetWeight(), 1))), strconv.Itoa(int(c.GetCurrentVersion())),
		c.GetMasked(), health, strconv.FormatBool(!c.GetDisabled())}
}
