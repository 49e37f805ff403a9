// @types/ws does not declare the Sender class that ws exports; socket.io uses its static frame()
// to build a broadcast frame once, and so do we (server/gateway/socket-gateway.ts).
import 'ws';

declare module 'ws' {
  interface FrameOptions {
    fin: boolean;
    rsv1: boolean;
    opcode: number;
    mask: boolean;
    readOnly: boolean;
  }
  export const Sender: {
    /** The frame's header and payload, ready for `sender.sendFrame()`. */
    frame(data: Buffer, options: FrameOptions): Buffer[];
  };
}
