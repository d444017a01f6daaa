/** Bytes of an EVTX file that do not follow the format: the record (or chunk, or file) they are in cannot be read. */
export class EvtxFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EvtxFormatError'
  }
}
