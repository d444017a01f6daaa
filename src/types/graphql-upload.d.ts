// graphql-upload 17 ships JSDoc-typed .mjs files only; these are the parts Watchpost uses.
declare module 'graphql-upload/processRequest.mjs' {
  import type { Readable } from 'node:stream'
  export interface FileUpload {
    filename: string
    mimetype: string
    encoding: string
    createReadStream(options?: { encoding?: BufferEncoding; highWaterMark?: number }): Readable
  }
}
declare module 'graphql-upload/GraphQLUpload.mjs' {
  import type { GraphQLScalarType } from 'graphql'
  const GraphQLUpload: GraphQLScalarType
  export default GraphQLUpload
}
declare module 'graphql-upload/graphqlUploadExpress.mjs' {
  import type { RequestHandler } from 'express'
  export default function graphqlUploadExpress(options?: { maxFieldSize?: number; maxFileSize?: number; maxFiles?: number }): RequestHandler
}
