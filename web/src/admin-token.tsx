/**
 * The admin token the call records and the monitor may ask for (README "Who may do what"): kept in
 * `localStorage` (`vb-admin-token`) so every admin page shares it, and the field to enter it.
 */
import { useCallback, useState } from 'react';

/** The admin token and whether the server refused without it. */
export interface AdminToken {
  /** The admin token entered ('' when none). */
  adminToken: string;
  /** The server answered 401/403: show the field. */
  needsAdmin: boolean;
  /** Marks that the server refused (stable across renders). */
  refused(): void;
  /** Stores a new admin token. */
  save(token: string): void;
}

/** The shared admin token state of an admin page. */
export function useAdminToken(): AdminToken {
  const [adminToken, setAdminToken] = useState(() => localStorage.getItem('vb-admin-token') ?? '');
  const [needsAdmin, setNeedsAdmin] = useState(false);
  const refused = useCallback(() => setNeedsAdmin(true), []);
  const save = (t: string) => {
    setAdminToken(t);
    localStorage.setItem('vb-admin-token', t);
  };
  return { adminToken, needsAdmin, refused, save };
}

/** The admin-token field, shown once the server refused or a token is set. */
export function AdminTokenField({ admin }: { admin: AdminToken }) {
  if (!admin.needsAdmin && !admin.adminToken) return null;
  return (
    <div className="banner">
      <label>
        Admin token <input type="password" value={admin.adminToken} onChange={(e) => admin.save(e.target.value)} placeholder="ADMIN_TOKEN" data-testid="admin-token" />
      </label>
    </div>
  );
}
