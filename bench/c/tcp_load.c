/*
 * The kernel's end of every end-to-end benchmark (bench/e2e.ts): the same program measures the
 * kernel over veth, the C relay between two TUN devices, and tcplab, always from the kernel's
 * side, so the three figures are taken the same way.
 *
 *   tcp_load server PORT
 *       discard on PORT, source on PORT+1, echo on PORT+2 (one epoll loop, every socket
 *       non-blocking). Runs until killed.
 *   tcp_load send HOST PORT WARMUP SECONDS        bulk to a discard server
 *   tcp_load recv HOST PORT WARMUP SECONDS        bulk from a source server
 *   tcp_load rr   HOST PORT WARMUP SECONDS SIZE   one connection, SIZE bytes each way, ping-pong
 *   tcp_load crr  HOST PORT WARMUP SECONDS CONCURRENCY SIZE SRC[,SRC...]
 *       connection rate: connect, SIZE bytes each way, close (the client closes first, so
 *       TIME-WAIT lands here), CONCURRENCY at once; source addresses rotate and the port is
 *       chosen at connect() (IP_BIND_ADDRESS_NO_PORT), so TIME-WAIT never runs out of ports.
 *
 * Every client prints one JSON line. Bulk figures count what the receiver acknowledged: `send`
 * takes bytes written minus what is still in the socket's send queue (SIOCOUTQ) at both ends of
 * the window, `recv` counts bytes read; the window starts after WARMUP seconds (slow start,
 * buffer growth). Bounded: an alarm ends any client 10 s after its window.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define BULK_CHUNK (256 * 1024)
#define MAX_SIZE 65536

static void die(const char *what) {
  fprintf(stderr, "tcp_load: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "tcp_load: deadline passed, giving up\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(3);
}

static struct sockaddr_in addr_of(const char *host, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "tcp_load: not an IPv4 address: %s\n", host);
    exit(2);
  }
  return a;
}

static int connect_blocking(const char *host, int port) {
  struct sockaddr_in a = addr_of(host, port);
  for (int attempt = 0;; attempt++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
    /* The server may still be starting: retry for a few seconds. */
    if (attempt >= 50 || (errno != ECONNREFUSED && errno != ETIMEDOUT)) die("connect");
    close(fd);
    usleep(100 * 1000);
  }
}

/* ---- server ---- */

enum kind { LISTEN_DISCARD, LISTEN_SOURCE, LISTEN_ECHO, CONN_DISCARD, CONN_SOURCE, CONN_ECHO };

struct conn {
  enum kind kind;
  int fd;
};

static uint8_t big[BULK_CHUNK];

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(fd, 4096) < 0) die("listen");
  return fd;
}

static void add(int ep, enum kind kind, int fd, uint32_t events) {
  struct conn *c = malloc(sizeof *c);
  if (c == NULL) die("malloc");
  c->kind = kind;
  c->fd = fd;
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void drop(struct conn *c) {
  close(c->fd); /* closing removes it from the epoll set */
  free(c);
}

static _Noreturn void serve(int port) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  add(ep, LISTEN_DISCARD, listen_on(port), EPOLLIN);
  add(ep, LISTEN_SOURCE, listen_on(port + 1), EPOLLIN);
  add(ep, LISTEN_ECHO, listen_on(port + 2), EPOLLIN);
  memset(big, 'x', sizeof big);
  printf("ready\n");
  fflush(stdout);
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c->kind <= LISTEN_ECHO) {
        for (;;) {
          int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          int one = 1;
          if (c->kind == LISTEN_ECHO) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          enum kind k = c->kind == LISTEN_DISCARD ? CONN_DISCARD : c->kind == LISTEN_SOURCE ? CONN_SOURCE : CONN_ECHO;
          add(ep, k, fd, k == CONN_SOURCE ? EPOLLOUT : EPOLLIN);
        }
        continue;
      }
      if (c->kind == CONN_SOURCE) {
        for (;;) {
          ssize_t w = write(c->fd, big, sizeof big);
          if (w < 0) {
            if (errno != EAGAIN) drop(c);
            break;
          }
        }
        continue;
      }
      /* discard and echo: read until EAGAIN; echo writes back what it read (requests are
       * small, so the write never blocks in practice; a short write drops the connection). */
      for (;;) {
        ssize_t r = read(c->fd, big, sizeof big);
        if (r < 0) {
          if (errno != EAGAIN) drop(c);
          break;
        }
        if (r == 0) {
          drop(c);
          break;
        }
        if (c->kind == CONN_ECHO && write(c->fd, big, (size_t)r) != r) {
          drop(c);
          break;
        }
      }
    }
  }
}

/* ---- bulk clients ---- */

static int bulk(int sending, const char *host, int port, double warmup, double seconds) {
  int fd = connect_blocking(host, port);
  struct timeval tv = {1, 0};
  setsockopt(fd, SOL_SOCKET, sending ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, sizeof tv);
  static uint8_t buf[BULK_CHUNK];
  memset(buf, 'k', sizeof buf);
  double start = now(), t0 = start + warmup, t1 = t0 + seconds, t = start;
  double mark0 = 0, mark1 = 0;
  uint64_t total = 0, at0 = 0, at1 = 0;
  int started = 0;
  for (;;) {
    ssize_t n = sending ? write(fd, buf, sizeof buf) : read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
      fprintf(stderr, "tcp_load: %s: %s\n", sending ? "write" : "read", n == 0 ? "end of stream" : strerror(errno));
      return 1;
    }
    if (n > 0) total += (uint64_t)n;
    t = now();
    uint64_t done = total;
    if (sending) {
      int outq = 0;
      if (ioctl(fd, SIOCOUTQ, &outq) == 0) done = total - (uint64_t)outq;
    }
    if (!started && t >= t0) {
      started = 1;
      mark0 = t;
      at0 = done;
    }
    if (t >= t1) {
      mark1 = t;
      at1 = done;
      break;
    }
  }
  double secs = mark1 - mark0;
  double bytes = (double)(at1 - at0);
  printf("{\"bytes\":%.0f,\"seconds\":%.6f,\"gbps\":%.4f}\n", bytes, secs, secs > 0 ? bytes * 8 / secs / 1e9 : 0.0);
  fflush(stdout);
  close(fd);
  return 0;
}

/* ---- request/response ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static int read_full(int fd, uint8_t *buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int rr(const char *host, int port, double warmup, double seconds, int size) {
  int fd = connect_blocking(host, port);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static uint8_t buf[MAX_SIZE];
  memset(buf, 'r', (size_t)size);
  size_t cap = 4 * 1024 * 1024, count = 0;
  double *samples = malloc(cap * sizeof *samples);
  if (samples == NULL) die("malloc");
  double start = now(), t0 = start + warmup, t1 = t0 + seconds, first = 0, last = 0;
  for (;;) {
    double a = now();
    if (write(fd, buf, (size_t)size) != size) die("write");
    if (read_full(fd, buf, (size_t)size) < 0) die("read");
    double b = now();
    if (a >= t0) {
      if (count == 0) first = a;
      last = b;
      if (count < cap) samples[count++] = (b - a) * 1e6;
    }
    if (b >= t1) break;
  }
  qsort(samples, count, sizeof *samples, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < count; i++) sum += samples[i];
  double p50 = count ? samples[count / 2] : 0, p99 = count ? samples[(size_t)((double)count * 0.99)] : 0;
  printf("{\"transactions\":%zu,\"seconds\":%.6f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f,\"min_us\":%.2f}\n", count,
         last - first, p50, p99, count ? sum / (double)count : 0, count ? samples[0] : 0);
  fflush(stdout);
  free(samples);
  close(fd);
  return 0;
}

/* ---- connection rate ---- */

enum phase { IDLE, CONNECTING, WAITING };

struct slot {
  int fd;
  enum phase phase;
  size_t got;
  double since;
};

static int crr(const char *host, int port, double warmup, double seconds, int concurrency, int size, char *sources) {
  struct sockaddr_in dst = addr_of(host, port);
  struct in_addr srcs[256];
  int nsrc = 0;
  for (char *s = strtok(sources, ","); s != NULL && nsrc < 256; s = strtok(NULL, ",")) {
    if (inet_pton(AF_INET, s, &srcs[nsrc]) != 1) {
      fprintf(stderr, "tcp_load: not an IPv4 address: %s\n", s);
      return 2;
    }
    nsrc++;
  }
  if (nsrc == 0 || concurrency < 1 || concurrency > 1024) return 2;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
  if (slots == NULL) die("calloc");
  static uint8_t req[MAX_SIZE], resp[MAX_SIZE];
  memset(req, 'q', (size_t)size);
  uint64_t done = 0, errors = 0, timeouts = 0, next_src = 0;
  double start = now(), t0 = start + warmup, t1 = t0 + seconds, mark0 = 0;
  uint64_t at0 = 0;
  int started = 0;

  for (;;) {
    double t = now();
    if (!started && t >= t0) {
      started = 1;
      mark0 = t;
      at0 = done;
    }
    if (t >= t1) break;
    for (int i = 0; i < concurrency; i++) {
      struct slot *s = &slots[i];
      if (s->phase != IDLE && t - s->since > 1.0) {
        close(s->fd);
        s->phase = IDLE;
        timeouts++;
      }
      if (s->phase != IDLE) continue;
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) die("socket");
      int one = 1;
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      struct sockaddr_in src;
      memset(&src, 0, sizeof src);
      src.sin_family = AF_INET;
      src.sin_addr = srcs[next_src++ % (uint64_t)nsrc];
      if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind");
      if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        errors++;
        close(fd);
        continue;
      }
      s->fd = fd;
      s->phase = CONNECTING;
      s->got = 0;
      s->since = t;
      struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    }
    struct epoll_event events[1024];
    int n = epoll_wait(ep, events, 1024, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      struct slot *s = &slots[events[k].data.u32];
      if (s->phase == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || write(s->fd, req, (size_t)size) != size) {
          errors++;
          close(s->fd);
          s->phase = IDLE;
          continue;
        }
        s->phase = WAITING;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[k].data.u32};
        epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
        continue;
      }
      ssize_t r = read(s->fd, resp, sizeof resp);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        errors++;
        close(s->fd);
        s->phase = IDLE;
        continue;
      }
      s->got += (size_t)r;
      if (s->got >= (size_t)size) {
        done++;
        close(s->fd);
        s->phase = IDLE;
      }
    }
  }
  double secs = now() - mark0;
  double count = (double)(done - at0);
  printf("{\"connections\":%.0f,\"seconds\":%.6f,\"rate\":%.1f,\"errors\":%llu,\"timeouts\":%llu}\n", count, secs,
         secs > 0 ? count / secs : 0.0, (unsigned long long)errors, (unsigned long long)timeouts);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 3 && strcmp(argv[1], "server") == 0) serve(atoi(argv[2]));
  if (argc < 6) {
    fprintf(stderr,
            "usage: tcp_load server PORT | send|recv HOST PORT WARMUP SECONDS | rr HOST PORT WARMUP SECONDS SIZE |"
            " crr HOST PORT WARMUP SECONDS CONCURRENCY SIZE SRC[,SRC...]\n");
    return 2;
  }
  const char *mode = argv[1], *host = argv[2];
  int port = atoi(argv[3]);
  double warmup = atof(argv[4]), seconds = atof(argv[5]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  alarm((unsigned)(warmup + seconds) + 10);
  if (strcmp(mode, "send") == 0) return bulk(1, host, port, warmup, seconds);
  if (strcmp(mode, "recv") == 0) return bulk(0, host, port, warmup, seconds);
  if (strcmp(mode, "rr") == 0 && argc == 7) {
    int size = atoi(argv[6]);
    if (size < 1 || size > MAX_SIZE) return 2;
    return rr(host, port, warmup, seconds, size);
  }
  if (strcmp(mode, "crr") == 0 && argc == 9) {
    int size = atoi(argv[7]);
    if (size < 1 || size > MAX_SIZE) return 2;
    return crr(host, port, warmup, seconds, atoi(argv[6]), size, argv[8]);
  }
  fprintf(stderr, "tcp_load: bad arguments for %s\n", mode);
  return 2;
}
