/** What the patch tests share: the reason and code a patch failure answers with. */
import { isStatusError } from '../../../agent/src/apiserver/status.ts';

/** `Reason code` of the StatusError `fn` throws, or 'no error'. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isStatusError(error)) return `${error.reason} ${error.code}`;
    throw error;
  }
  return 'no error';
}
