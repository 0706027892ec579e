/**
 * Known packets, written out by hand as tcpdump -x shows them. Addresses are those of the Linux
 * capture namespaces (test/fixtures/capture-linux.sh): A 10.200.1.2 / fd00:200:1::2, B
 * 10.200.2.2 / fd00:200:2::2. Every checksum was computed independently of src/wire (a Python
 * script) and confirmed by `tcpdump -vv` ("cksum ... (correct)").
 */
import { hex } from './hex.js';

/** A Linux SYN at MTU 1500: `Flags [S], seq 987654321, win 64240, options [mss 1460,sackOK,TS val
 *  2671516203 ecr 0,nop,wscale 7], length 0`, IP id 0x1c46, DF, TTL 64. */
export const SYN4 = hex(`
  4500 003c 1c46 4000 4006 05e3 0ac8 0102 0ac8 0202
  b26e 1451 3ade 68b1 0000 0000 a002 faf0 10c5 0000
  0204 05b4 0402 080a 9f3c 1a2b 0000 0000 0103 0307`);

/** The same SYN over IPv6: mss 1440, win 64800. */
export const SYN6 = hex(`
  6000 0000 0028 0640 fd00 0200 0001 0000 0000 0000 0000 0002 fd00 0200 0002 0000 0000 0000 0000 0002
  b26e 1451 3ade 68b1 0000 0000 a002 fd20 2934 0000
  0204 05a0 0402 080a 9f3c 1a2b 0000 0000 0103 0307`);

/** `Flags [P.], seq 987654322:987654335, ack 287454021, win 502, options [nop,nop,TS val
 *  2671516224 ecr 1583218689], length 13`: "hello tcplab\n". */
export const DATA4 = hex(`
  4500 0041 1c47 4000 4006 05dd 0ac8 0102 0ac8 0202
  b26e 1451 3ade 68b2 1122 3345 8018 01f6 0167 0000
  0101 080a 9f3c 1a40 5e5e 0001
  6865 6c6c 6f20 7463 706c 6162 0a`);

/** B → A `Flags [F.], seq 287454021, ack 987654335, win 509, options [nop,nop,TS val 2671516224
 *  ecr 1583218689], length 0`. */
export const FIN4 = hex(`
  4500 0034 abcd 4000 4006 7663 0ac8 0202 0ac8 0102
  1451 b26e 1122 3345 3ade 68bf 8011 01fd 958b 0000
  0101 080a 9f3c 1a40 5e5e 0001`);

/** B → A, port 9 closed: `Flags [R.], seq 0, ack 987654322, win 0, length 0`. */
export const RST4 = hex(`
  4500 0028 0000 4000 4006 223d 0ac8 0202 0ac8 0102
  0009 b26e 0000 0000 3ade 68b2 5014 0000 4135 0000`);

/** `ICMP echo request, id 4660, seq 1, length 64` (ping's 56 data bytes 0x10..0x47). */
export const PING4 = hex(`
  4500 0054 04d2 4000 4001 1d44 0ac8 0102 0ac8 0202
  0800 2cf6 1234 0001
  1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f
  3031 3233 3435 3637 3839 3a3b 3c3d 3e3f 4041 4243 4445 4647`);

/** `ping -R`: IHL 15, a Record Route option (pointer 8: one address recorded, 10.200.1.2, eight
 *  free slots) and End of Option List; an echo request with 8 zero bytes. */
export const RECORD_ROUTE4 = hex(`
  4f00 004c 0077 4000 4001 3e74 0ac8 0102 0ac8 0202
  0727 08 0ac80102 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00
  0800 ec51 0bad 0001 0000 0000 0000 0000`);

/** IPv6 → Hop-by-Hop (PadN) → Fragment (atomic: offset 0, M clear, id 0x12345678) →
 *  Destination Options (PadN) → TCP `40000 > 5201: Flags [S], seq 1, win 1000, length 0`. */
export const CHAIN6 = hex(`
  6000 0000 002c 0040 fd00 0200 0001 0000 0000 0000 0000 0002 fd00 0200 0002 0000 0000 0000 0000 0002
  2c00 0104 0000 0000
  3c00 0000 1234 5678
  0600 0104 0000 0000
  9c40 1451 0000 0001 0000 0000 5002 03e8 fd5f 0000`);

/** The first fragment (offset 0, M set, id 0xcafe) of an ICMPv6 echo request. */
export const FRAGMENT6_FIRST = hex(`
  6000 0000 0018 2c40 fd00 0200 0001 0000 0000 0000 0000 0002 fd00 0200 0002 0000 0000 0000 0000 0002
  3a00 0001 0000 cafe
  8000 819c 0007 0001 0000 0000 0000 0000`);

/** Its second and last fragment (offset 2 × 8 octets, M clear). */
export const FRAGMENT6_LAST = hex(`
  6000 0000 0010 2c40 fd00 0200 0001 0000 0000 0000 0000 0002 fd00 0200 0002 0000 0000 0000 0000 0002
  3a00 0010 0000 cafe
  0000 0000 0000 0000`);

/** IPv4 fragments (id 0x99): the first (MF, offset 0) and the last (offset 2 × 8 octets). */
export const FRAGMENT4_FIRST = hex(`
  4500 0024 0099 2000 4001 41ad 0ac8 0102 0ac8 0202
  8000 819c 0007 0001 0000 0000 0000 0000`);
export const FRAGMENT4_LAST = hex(`
  4500 001c 0099 0002 4001 61b3 0ac8 0102 0ac8 0202
  0000 0000 0000 0000`);

/** `ICMP6, echo request, id 7, seq 1, length 24` (16 zero data bytes). */
export const PING6 = hex(`
  6000 0000 0018 3a40 fd00 0200 0001 0000 0000 0000 0000 0002 fd00 0200 0002 0000 0000 0000 0000 0002
  8000 819c 0007 0001 0000 0000 0000 0000 0000 0000 0000 0000`);
