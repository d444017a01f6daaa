/**
 * First key of the per-upload advisory lock (the second is hashtext(upload id)). Processing and
 * deleting an upload take it for their whole transaction, so they never interleave.
 */
export const UPLOAD_LOCK_CLASS = 7263
