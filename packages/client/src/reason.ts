/** What a thrown or rejected value says, for a message: an error's message, a string, else its type. Never throws. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === 'string' ? error : typeof error
}
