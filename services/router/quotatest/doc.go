// Package quotatest drives budgets and rate limits end to end: the real
// `manifold serve` (keys required) with budgets, rate limits and prices set
// through the QuotaService API, called over the OpenAI, Anthropic and
// Connect surfaces, checking how each refusal looks on each surface.
package quotatest
