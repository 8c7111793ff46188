/** Where drizzle-kit's SQL migrations (`npm run db:generate`) live: `drizzle/` at the package root. */
import { fileURLToPath } from 'node:url';

/** The migrations folder (the same from src/store under tsx and from dist/store when built). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
