// Linux implementation of native/tun.h: /dev/net/tun, TUNSETIFF, configuration ioctls,
// and setns(2) for creating the device inside another network namespace.
#include "tun.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace tcplab {
namespace tun {
namespace {

constexpr const char* kTunPath = "/dev/net/tun";
constexpr const char* kDefaultPattern = "tcplab%d";

// struct in6_ifreq from <linux/ipv6.h>, spelled out to avoid header clashes with glibc.
struct In6Ifreq {
  struct in6_addr ifr6_addr;
  uint32_t ifr6_prefixlen;
  int ifr6_ifindex;
};

bool Fail(TunError* error, int err, const char* syscall, const std::string& path) {
  error->err = err;
  error->syscall = syscall;
  error->path = path;
  return false;
}

void CloseQuietly(int fd) {
  if (fd >= 0) {
    int saved = errno;
    close(fd);
    errno = saved;
  }
}

// RAII: closes an fd on scope exit.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { CloseQuietly(fd_); }
  int get() const { return fd_; }
  void reset(int fd) {
    CloseQuietly(fd_);
    fd_ = fd;
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

void SetName(struct ifreq* ifr, const std::string& name) {
  memset(ifr->ifr_name, 0, IFNAMSIZ);
  memcpy(ifr->ifr_name, name.data(), name.size() < IFNAMSIZ - 1 ? name.size() : IFNAMSIZ - 1);
}

int Ioctl(int fd, unsigned long request, void* arg) {
  int rc;
  do {
    rc = ioctl(fd, request, arg);
  } while (rc < 0 && errno == EINTR);
  return rc;
}

std::string Cidr(const Address& a) {
  return a.address + "/" + std::to_string(a.prefix);
}

// Runs after TUNSETIFF, with the calling thread in the device's namespace: sockets for
// the configuration ioctls are created here so they act on that namespace.
bool Configure(const OpenOptions& options, const std::string& name, TunError* error) {
  Fd inet(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (inet.get() < 0) return Fail(error, errno, "socket(AF_INET)", name);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  SetName(&ifr, name);
  ifr.ifr_mtu = options.mtu;
  if (Ioctl(inet.get(), SIOCSIFMTU, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCSIFMTU)", name);

  if (options.txQueueLen >= 0) {
    memset(&ifr, 0, sizeof ifr);
    SetName(&ifr, name);
    ifr.ifr_qlen = options.txQueueLen;
    if (Ioctl(inet.get(), SIOCSIFTXQLEN, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCSIFTXQLEN)", name);
  }

  // IPv4: SIOCSIFADDR then SIOCSIFNETMASK. The first address goes on the device itself,
  // further ones on alias labels "name:1", "name:2", ... (what ifconfig does).
  int v4 = 0;
  Fd inet6;
  int ifindex = -1;
  for (const Address& a : options.addresses) {
    if (a.family == 4) {
      std::string label = v4 == 0 ? name : name + ":" + std::to_string(v4);
      if (label.size() > IFNAMSIZ - 1) return Fail(error, ENAMETOOLONG, "ioctl(SIOCSIFADDR)", label);
      ++v4;
      memset(&ifr, 0, sizeof ifr);
      SetName(&ifr, label);
      auto* sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_addr);
      sin->sin_family = AF_INET;
      if (inet_pton(AF_INET, a.address.c_str(), &sin->sin_addr) != 1) return Fail(error, EINVAL, "inet_pton", Cidr(a));
      if (Ioctl(inet.get(), SIOCSIFADDR, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCSIFADDR)", Cidr(a));
      memset(&ifr, 0, sizeof ifr);
      SetName(&ifr, label);
      sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_netmask);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = a.prefix == 0 ? 0 : htonl(0xffffffffu << (32 - a.prefix));
      if (Ioctl(inet.get(), SIOCSIFNETMASK, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCSIFNETMASK)", Cidr(a));
    } else if (a.family == 6) {
      if (inet6.get() < 0) {
        inet6.reset(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (inet6.get() < 0) return Fail(error, errno, "socket(AF_INET6)", Cidr(a));
        memset(&ifr, 0, sizeof ifr);
        SetName(&ifr, name);
        if (Ioctl(inet.get(), SIOCGIFINDEX, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCGIFINDEX)", name);
        ifindex = ifr.ifr_ifindex;
      }
      In6Ifreq req;
      memset(&req, 0, sizeof req);
      if (inet_pton(AF_INET6, a.address.c_str(), &req.ifr6_addr) != 1) return Fail(error, EINVAL, "inet_pton", Cidr(a));
      req.ifr6_prefixlen = static_cast<uint32_t>(a.prefix);
      req.ifr6_ifindex = ifindex;
      if (Ioctl(inet6.get(), SIOCSIFADDR, &req) < 0) return Fail(error, errno, "ioctl(SIOCSIFADDR)", Cidr(a));
    } else {
      return Fail(error, EAFNOSUPPORT, "ioctl(SIOCSIFADDR)", Cidr(a));
    }
  }

  if (options.up) {
    memset(&ifr, 0, sizeof ifr);
    SetName(&ifr, name);
    if (Ioctl(inet.get(), SIOCGIFFLAGS, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCGIFFLAGS)", name);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (Ioctl(inet.get(), SIOCSIFFLAGS, &ifr) < 0) return Fail(error, errno, "ioctl(SIOCSIFFLAGS)", name);
  }
  return true;
}

// Opens /dev/net/tun and attaches a new device; configures it. Runs in the target namespace.
bool OpenHere(const OpenOptions& options, Device* device, TunError* error) {
  Fd fd(open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return Fail(error, errno, "open", kTunPath);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  SetName(&ifr, options.name.empty() ? std::string(kDefaultPattern) : options.name);
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (options.vnetHdr ? IFF_VNET_HDR : 0));
  if (Ioctl(fd.get(), TUNSETIFF, &ifr) < 0) return Fail(error, errno, "ioctl(TUNSETIFF)", ifr.ifr_name);
  std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));

  if (options.vnetHdr) {
    int size = static_cast<int>(kVnetHdrSize);
    if (Ioctl(fd.get(), TUNSETVNETHDRSZ, &size) < 0) return Fail(error, errno, "ioctl(TUNSETVNETHDRSZ)", name);
    // The header's 16-bit fields are little-endian on every host (virtio 1.0); a kernel that
    // cannot say so for a big-endian host refuses here, and the wrapper falls back.
    int le = 1;
    if (Ioctl(fd.get(), TUNSETVNETLE, &le) < 0 && errno != EINVAL) return Fail(error, errno, "ioctl(TUNSETVNETLE)", name);
    unsigned int offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (Ioctl(fd.get(), TUNSETOFFLOAD, reinterpret_cast<void*>(static_cast<uintptr_t>(offloads))) < 0) {
      return Fail(error, errno, "ioctl(TUNSETOFFLOAD)", name);
    }
    device->vnetHdrSize = kVnetHdrSize;
  }

  if (!Configure(options, name, error)) return false;  // closing fd removes the device

  device->fd = fd.release();
  device->name = name;
  return true;
}


// Opens this thread's own network namespace, to come back to it after setns.
int OpenOwnNetns() {
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {  // kernels before 3.17 have no /proc/thread-self
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/ns/net", static_cast<long>(gettid()));
    fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  return fd;
}

}  // namespace

bool Open(const OpenOptions& options, Device* device, TunError* error) {
  *error = TunError();
  if (options.netns.empty()) return OpenHere(options, device, error);

  // The tun device is created in the namespace of the task that opens /dev/net/tun, so
  // the open (and the configuration sockets) must happen after setns; the fd keeps
  // working after we return to our own namespace.
  Fd own(OpenOwnNetns());
  if (own.get() < 0) return Fail(error, errno, "open", "/proc/thread-self/ns/net");
  Fd target(open(options.netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.get() < 0) return Fail(error, errno, "open", options.netns);
  if (setns(target.get(), CLONE_NEWNET) < 0) return Fail(error, errno, "setns", options.netns);

  bool ok = OpenHere(options, device, error);

  if (setns(own.get(), CLONE_NEWNET) < 0) {
    // Never continue on a thread stuck in another namespace: every socket Node opens
    // from now on would silently live there.
    fprintf(stderr, "tcplab: setns back to the original network namespace failed: %s\n", strerror(errno));
    abort();
  }
  return ok;
}

ssize_t Read(int fd, uint8_t* buffer, size_t capacity) {
  for (;;) {
    ssize_t n = read(fd, buffer, capacity);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

ssize_t Write(int fd, const uint8_t* packet, size_t length) {
  for (;;) {
    ssize_t n = write(fd, packet, length);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

ssize_t WriteWithHeader(int fd, const uint8_t* header, size_t headerLength, const uint8_t* packet, size_t length) {
  struct iovec iov[2];
  iov[0].iov_base = const_cast<uint8_t*>(header);
  iov[0].iov_len = headerLength;
  iov[1].iov_base = const_cast<uint8_t*>(packet);
  iov[1].iov_len = length;
  for (;;) {
    ssize_t n = writev(fd, iov, 2);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

void Close(int fd) {
  if (fd >= 0) close(fd);
}

std::string ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
#else
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTSUP: return "ENOTSUP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENXIO: return "ENXIO";
    case EBADFD: return "EBADFD";
    default: break;
  }
#endif
  return "E" + std::to_string(err);
}

}  // namespace tun
}  // namespace tcplab
