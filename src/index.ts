// tcplab's public API: a userspace TCP/IP host with Node's net API, and the links it runs on.
export { createStack, NetStack, type CreateStackOptions } from './net/net-stack.js';
export { Socket, type SocketOptions, type SocketConnectOptions } from './net/socket.js';
export { Server, type ServerOptions, type ListenOptions } from './net/server.js';
export { RealClock, VirtualClock, type Clock } from './net/clock.js';
export type { Link, LinkOffload, PacketBatch } from './link/link.js';
export { TunLink, type TunLinkOptions } from './link/tun-link.js';
export { TunDevice, tunAvailable, type TunOptions } from './link/tun-device.js';
export { MemoryLink } from './link/memory-link.js';
export { FaultLink, type FaultLinkOptions, type Impairment, type PacketRule } from './link/fault-link.js';
export { CaptureLink } from './link/capture-link.js';
export { PcapWriter } from './link/pcap-writer.js';
export { readPcap } from './link/pcap-reader.js';
export { Stack, type StackOptions } from './stack/stack.js';
export { tcpConfig, DEFAULT_TCP_CONFIG, type TcpConfig } from './tcp/config.js';
