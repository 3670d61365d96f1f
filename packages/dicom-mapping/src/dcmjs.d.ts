// Minimal typing of the parts of dcmjs 0.49 that dicom2mrd and mrd2dicom use (dcmjs ships no type
// declarations). One ambient declaration, here beside the shared DICOM code, that both packages
// get through the root tsconfig (which includes packages/*/src).
declare module 'dcmjs' {
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
    InlineBinary?: string;
  }
  export type DcmjsDataset = Record<string, DcmjsElement>;
  export class DicomDict {
    constructor(meta: DcmjsDataset);
    meta: DcmjsDataset;
    dict: DcmjsDataset;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  export class WriteBufferStream {
    constructor(defaultSize?: number, littleEndian?: boolean);
    size: number;
    getBuffer(start?: number, end?: number): ArrayBuffer;
  }
  export const data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict;
      write(dict: DcmjsDataset, stream: WriteBufferStream, syntax: string, options?: Record<string, unknown>): number;
    };
    WriteBufferStream: typeof WriteBufferStream;
    DicomDict: typeof DicomDict;
    DicomMetaDictionary: {
      uid(): string;
      dictionary: Record<string, { tag: string; vr: string; name: string; vm: string }>;
      nameMap: Record<string, { tag: string; vr: string; name: string; vm: string }>;
    };
  };
  const dcmjs: { data: typeof data; log?: unknown };
  export default dcmjs;
}
