import { z } from 'zod';

/** `admin_auth`: optional authentication for the admin address (API and console). */
export const adminAuthConfigSchema = z
  .object({
    bearer_token: z.string().min(16, 'use at least 16 characters').optional(),
    bearer_token_file: z.string().min(1).optional(),
    basic_username: z
      .string()
      .min(1)
      .regex(/^[^:]+$/, 'must not contain ":"')
      .optional(),
    basic_password: z.string().min(8, 'use at least 8 characters').optional(),
    basic_password_file: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.bearer_token && c.bearer_token_file)
      ctx.addIssue({ code: 'custom', path: ['bearer_token'], message: 'set bearer_token or bearer_token_file, not both' });
    if (c.basic_password && c.basic_password_file)
      ctx.addIssue({ code: 'custom', path: ['basic_password'], message: 'set basic_password or basic_password_file, not both' });
    const password = c.basic_password ?? c.basic_password_file;
    if (Boolean(c.basic_username) !== Boolean(password))
      ctx.addIssue({ code: 'custom', path: ['basic_username'], message: 'basic auth needs both basic_username and a password' });
  });

export type AdminAuthConfig = z.output<typeof adminAuthConfigSchema>;
