// The canonical model, shaped as SCIM 2.0 (RFC 7643): core User + enterprise
// extension, and Group. Shared by main, preload and renderer, so it imports
// nothing but zod.
import { z } from 'zod';

/** Longest text any single field may hold; anything longer is bad input. */
export const MAX_TEXT = 1024;
const text = (max = MAX_TEXT) => z.string().trim().max(max);
const optionalText = (max = MAX_TEXT) => text(max).optional();

// userName: what the admin types and the directories key on. Printable, no
// control characters, no leading/trailing spaces (trimmed), at most 256.
export const userNameSchema = z
  .string()
  .trim()
  .min(1, 'User name is required')
  .max(256, 'User name is longer than 256 characters')
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'User name contains control characters');

export const emailSchema = z.object({
  value: z.email({ message: 'Not a valid e-mail address' }).max(320),
  type: z.enum(['work', 'home', 'other']).optional(),
  primary: z.boolean().optional(),
});

export const phoneSchema = z.object({
  value: text(64).min(1),
  type: z.enum(['work', 'mobile', 'home', 'other']).optional(),
});

export const nameSchema = z.object({
  givenName: optionalText(256),
  familyName: optionalText(256),
  formatted: optionalText(512),
});

/** What the admin edits: a user without the local bookkeeping. */
export const userInputSchema = z.object({
  userName: userNameSchema,
  name: nameSchema.default({}),
  displayName: optionalText(256),
  emails: z.array(emailSchema).max(10).default([]),
  phoneNumbers: z.array(phoneSchema).max(10).default([]),
  title: optionalText(256),
  department: optionalText(256),
  employeeNumber: optionalText(64),
  /** Local id of the manager (a user in the local store). */
  managerId: z.string().max(64).optional(),
  active: z.boolean().default(true),
});
export type UserInput = z.infer<typeof userInputSchema>;

export interface User extends UserInput {
  id: string;
  meta: { created: string; lastModified: string; version: number };
}

export const groupInputSchema = z.object({
  displayName: text(256).min(1, 'Group name is required'),
  description: optionalText(1024),
});
export type GroupInput = z.infer<typeof groupInputSchema>;

export interface GroupMember {
  /** Local id of the member (a user or a group). */
  value: string;
  type: 'User' | 'Group';
  display?: string;
}

export interface Group extends GroupInput {
  id: string;
  members: GroupMember[];
  meta: { created: string; lastModified: string; version: number };
}

export function primaryEmail(user: Pick<UserInput, 'emails'>): string | undefined {
  return (user.emails.find((e) => e.primary) ?? user.emails[0])?.value;
}
