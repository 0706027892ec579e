/*
 * The ceiling of the TUN path for bench/e2e.ts: a minimal relay that moves every packet between
 * two TUN devices in two namespaces, so kernel TCP in one talks to kernel TCP in the other
 * through user space. Whatever tcplab does per packet, it cannot beat this program, which does
 * nothing but read() and write().
 *
 *   tun_relay NETNS_A NAME_A NETNS_B NAME_B OFFLOAD
 *
 * Creates NAME_A inside /var/run/netns/NETNS_A and NAME_B inside NETNS_B (setns around the
 * open), prints "ready", and relays until killed; the caller sets addresses, MTU, txqueuelen
 * and brings the links up with `ip`. OFFLOAD 1 opens both with IFF_VNET_HDR and
 * TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6): packets up to 64 KiB with partial
 * checksums pass through with their virtio-net header untouched, so the kernel that receives
 * them finishes the work (what a VM's virtio-net device gets). Single-threaded: poll() on both
 * fds, then up to BATCH reads from each ready fd, each written to the other at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BATCH 64

static void die(const char *what) {
  fprintf(stderr, "tun_relay: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int open_in(const char *netns, const char *name, int offload) {
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) die("open own netns");
  char path[256];
  snprintf(path, sizeof path, "/var/run/netns/%s", netns);
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) die(path);
  if (setns(target, CLONE_NEWNET) < 0) die("setns");
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
  if (offload) {
    /* TUNSETOFFLOAD without IFF_VNET_HDR would make the kernel hand us packets we cannot tell
     * apart; with it, each read starts with the 10-byte struct virtio_net_hdr. */
    if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) die("TUNSETOFFLOAD");
  }
  if (setns(self, CLONE_NEWNET) < 0) die("setns back");
  close(target);
  close(self);
  return fd;
}

static uint64_t moved[2], dropped[2];

/* Up to BATCH packets from `from` to `to`; returns how many were read. */
static int relay(int from, int to, int dir) {
  static uint8_t buf[65536 + 64];
  int n = 0;
  for (; n < BATCH; n++) {
    ssize_t r = read(from, buf, sizeof buf);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      die("read");
    }
    if (write(to, buf, (size_t)r) != r) dropped[dir]++;
    else moved[dir]++;
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: tun_relay NETNS_A NAME_A NETNS_B NAME_B OFFLOAD(0|1)\n");
    return 2;
  }
  int offload = atoi(argv[5]) != 0;
  int a = open_in(argv[1], argv[2], offload);
  int b = open_in(argv[3], argv[4], offload);
  printf("ready\n");
  fflush(stdout);
  struct pollfd fds[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* Keep going while either side has packets, polling again only when both are empty. */
    for (;;) {
      int n = 0;
      if (fds[0].revents & POLLIN) n += relay(a, b, 0);
      if (fds[1].revents & POLLIN) n += relay(b, a, 1);
      if (n == 0) break;
      fds[0].revents = fds[1].revents = POLLIN;
    }
  }
}
