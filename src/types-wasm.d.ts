/**
 * The parts of the WebAssembly JS API the project uses. TypeScript declares them only in its DOM
 * library, which a Node server does not load.
 */
declare global {
  namespace WebAssembly {
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(deltaPages: number): number;
    }
    interface Module {}
    interface Instance {
      readonly exports: Record<string, unknown>;
    }
    function compile(bytes: Uint8Array): Promise<Module>;
    function instantiate(module: Module, imports?: Record<string, Record<string, unknown>>): Promise<Instance>;
    const Module: { new (bytes: Uint8Array): Module; imports(module: Module): Array<{ module: string; name: string }> };
  }
}
export {};
