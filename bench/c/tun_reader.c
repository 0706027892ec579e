/*
 * The C reference for bench/tun-read.ts: read-and-drop from a TUN device, one read() per
 * packet (there is no batched read for TUN), nothing else.
 *
 *   tun_reader NAME ADDR/PREFIX MTU TXQUEUELEN WARMUP_S SECONDS MODE
 *
 * Run it inside the bench namespace (ip netns exec): it creates the device there,
 * configures it with ioctls (MTU, txqueuelen, IPv4 address, up) and prints "ready".
 *
 * MODE "poll" / "block" (streaming, while a sender runs): wait for the first packet, stay
 * idle for WARMUP_S (the device queue fills), then read for SECONDS and print one JSON
 * line with the packets read and the device's counters over the window (queued for us,
 * dropped because the queue was full). "poll" is the addon's strategy without the JS:
 * a non-blocking fd, poll() for readiness, read() until EAGAIN. "block" is a blocking
 * read() per packet.
 *
 * MODE "drain" (backlog): for every line "drain" on stdin, read the device's queue until
 * EAGAIN as fast as possible and print one JSON line (packets, seconds); exits at EOF.
 * The sender fills the queue between drains, so this measures the reader alone.
 *
 * Bounded: gives up after 10 s without a first packet, and an alarm ends a streaming read
 * that blocks past the window.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "tun_reader: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alarm(int sig) { (void)sig; }

/* The device's transmit counters (kernel -> reader): packets it queued for us, and packets
 * it dropped because its queue was full, i.e. because the reader was not fast enough. */
static uint64_t sysfs_counter(const char *name, const char *counter) {
  char path[128], text[32];
  snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", name, counter);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 0;
  ssize_t n = read(f, text, sizeof text - 1);
  close(f);
  if (n <= 0) return 0;
  text[n] = 0;
  return strtoull(text, NULL, 10);
}

static void set_name(struct ifreq *ifr, const char *name) {
  memset(ifr, 0, sizeof *ifr);
  strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: tun_reader NAME ADDR/PREFIX MTU TXQUEUELEN WARMUP_S SECONDS poll|block|drain\n");
    return 2;
  }
  int blocking = strcmp(argv[7], "block") == 0;
  int drain = strcmp(argv[7], "drain") == 0;
  const char *name = argv[1];
  char addr[64];
  snprintf(addr, sizeof addr, "%s", argv[2]);
  char *slash = strchr(addr, '/');
  if (slash == NULL) return 2;
  *slash = 0;
  int prefix = atoi(slash + 1);
  int mtu = atoi(argv[3]);
  int qlen = atoi(argv[4]);
  double warmup = atof(argv[5]);
  double seconds = atof(argv[6]);

  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (blocking ? 0 : O_NONBLOCK));
  if (fd < 0) die("open /dev/net/tun");
  struct ifreq ifr;
  set_name(&ifr, name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");

  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  set_name(&ifr, name);
  ifr.ifr_mtu = mtu;
  if (ioctl(s, SIOCSIFMTU, &ifr) < 0) die("SIOCSIFMTU");
  set_name(&ifr, name);
  ifr.ifr_qlen = qlen;
  if (ioctl(s, SIOCSIFTXQLEN, &ifr) < 0) die("SIOCSIFTXQLEN");
  set_name(&ifr, name);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) die("inet_pton");
  if (ioctl(s, SIOCSIFADDR, &ifr) < 0) die("SIOCSIFADDR");
  set_name(&ifr, name);
  sin = (struct sockaddr_in *)&ifr.ifr_netmask;
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
  if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) die("SIOCSIFNETMASK");
  set_name(&ifr, name);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("SIOCSIFFLAGS");
  close(s);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked read() returns EINTR */
  sigaction(SIGALRM, &sa, NULL);

  printf("ready\n");
  fflush(stdout);

  static uint8_t buf[65536];
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  if (drain) {
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
      if (strncmp(line, "drain", 5) != 0) continue;
      uint64_t packets = 0, bytes = 0;
      double start = now(), t = start;
      for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;
          die("read");
        }
        packets++;
        bytes += (uint64_t)n;
      }
      t = now();
      printf("{\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f}\n", (unsigned long long)packets,
             (unsigned long long)bytes, t - start);
      fflush(stdout);
    }
    close(fd);
    return 0;
  }
  int rc = poll(&pfd, 1, 10000);
  if (rc <= 0) {
    fprintf(stderr, "tun_reader: no packet within 10 s\n");
    return 1;
  }
  /* Warmup: let the sender reach full speed and the device queue fill up, so the window
   * starts in overload (the reader never waits for a packet) rather than in the slow
   * regime where every packet wakes a sleeping reader. */
  struct timespec nap = {(time_t)warmup, (long)((warmup - (double)(time_t)warmup) * 1e9)};
  nanosleep(&nap, NULL);
  alarm((unsigned)seconds + 2);
  uint64_t packets = 0, bytes = 0;
  uint64_t queued0 = sysfs_counter(name, "tx_packets");
  uint64_t dropped0 = sysfs_counter(name, "tx_dropped");
  double start = now(), end = start + seconds, t = start;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EAGAIN) {
        if (poll(&pfd, 1, -1) >= 0 || errno != EINTR) continue;
      }
      if (errno == EINTR) break; /* the alarm: traffic stopped */
      die("read");
    }
    packets++;
    bytes += (uint64_t)n;
    t = now();
    if (t >= end) break;
  }
  double elapsed = t - start;
  uint64_t queued = sysfs_counter(name, "tx_packets") - queued0;
  uint64_t dropped = sysfs_counter(name, "tx_dropped") - dropped0;
  printf("{\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"pps\":%.1f,\"queued\":%llu,\"dropped\":%llu}\n",
         (unsigned long long)packets, (unsigned long long)bytes, elapsed, elapsed > 0 ? (double)packets / elapsed : 0.0,
         (unsigned long long)queued, (unsigned long long)dropped);
  close(fd);
  return 0;
}
