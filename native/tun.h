// The OS seam of the tcplab addon.
//
// Everything that depends on the operating system (how a TUN device is opened and
// configured, how one packet is read or written) lives behind these plain functions;
// native/addon.cc is the OS-neutral N-API glue on top. One implementation file per OS
// (native/tun_linux.cc today). Functions never throw: they return 0 / a byte count, or a
// negative errno, and describe a failure in a TunError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tcplab {
namespace tun {

// An interface address in CIDR form, already validated by the TypeScript wrapper.
struct Address {
  int family = 0;            // 4 or 6
  std::string address;       // textual form ("10.7.0.1", "fd00:7::1")
  int prefix = 0;            // 0..32 or 0..128
};

struct OpenOptions {
  std::string name;          // exact name, or a pattern with %d; empty: kernel default pattern
  std::string netns;         // empty: the caller's namespace; else a path such as /var/run/netns/NAME
  int mtu = 1500;
  int txQueueLen = 5000;     // < 0: leave the kernel's default
  bool up = true;
  std::vector<Address> addresses;
  // Offloads: IFF_VNET_HDR (every packet read or written is preceded by a 12-byte
  // struct virtio_net_hdr_v1, little-endian) and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 |
  // TUN_F_TSO6): the kernel may hand us TCP packets of up to 64 KiB with partial checksums,
  // and takes the same from us. (TUNSETOFFLOAD without IFF_VNET_HDR would break connections:
  // nothing would tell either side which packets are partial.)
  bool vnetHdr = false;
};

// What failed, for an actionable error message: the errno, the system call or ioctl,
// and the path or address it was about (may be empty).
struct TunError {
  int err = 0;               // positive errno; 0: no error
  std::string syscall;       // "open", "setns", "ioctl(TUNSETIFF)", "ioctl(SIOCSIFADDR)", ...
  std::string path;          // "/dev/net/tun", the netns path, an address, a device name
};

// The virtio-net header size used with vnetHdr (struct virtio_net_hdr_v1: 10 bytes and
// num_buffers, so the IP header that follows starts 4-byte aligned).
constexpr size_t kVnetHdrSize = 12;

struct Device {
  int fd = -1;               // non-blocking, close-on-exec
  std::string name;          // the real name chosen by the kernel
  size_t vnetHdrSize = 0;    // kVnetHdrSize with vnetHdr, else 0
};

// Opens and configures one TUN device (IP packets, no packet-information header). When
// options.netns is set, the device is created and configured inside that namespace while
// the returned fd stays usable from the caller's own namespace. On failure nothing is
// left open and the calling thread is back in its own namespace.
bool Open(const OpenOptions& options, Device* device, TunError* error);

// One packet. Returns the byte count, or -errno (-EAGAIN when nothing is ready).
ssize_t Read(int fd, uint8_t* buffer, size_t capacity);
ssize_t Write(int fd, const uint8_t* packet, size_t length);
// One packet preceded by its virtio-net header (two buffers, one writev). Returns the bytes
// written (header included), or -errno.
ssize_t WriteWithHeader(int fd, const uint8_t* header, size_t headerLength, const uint8_t* packet, size_t length);

// Closes the fd; a non-persistent device disappears with it.
void Close(int fd);

// Name of an errno constant ("EPERM"), or "E<number>" when unknown.
std::string ErrnoName(int err);

}  // namespace tun
}  // namespace tcplab
