/**
 * What a finding can be, in the order findings are reported. The guardrails pack's configuration accepts exactly
 * these names (pack-config.ts).
 */
export const FINDING_TYPES = [
  'ssn',
  'credit_card',
  'email',
  'aws_access_key',
  'private_key',
  'bearer_token',
  'jwt',
  'github_token',
  'slack_token',
  'slack_webhook',
  'stripe_key',
  'google_api_key',
  'openai_api_key',
  'anthropic_api_key',
  'npm_token',
] as const;
