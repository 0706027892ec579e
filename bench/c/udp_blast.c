/*
 * Traffic generator for bench/tun-read.ts: UDP datagrams to DST:PORT as fast as one
 * thread can, with sendmmsg (BATCH messages per system call, each a UDP GSO super-datagram
 * of GSO_SEGMENTS payloads that the kernel cuts into separate packets), for SECONDS, then
 * prints one JSON line. Run it inside the bench namespace (ip netns exec), where DST is
 * routed to the TUN device under test; nothing leaves the namespace.
 *
 *   udp_blast DST PORT PAYLOAD_BYTES SECONDS
 *   udp_blast DST PORT PAYLOAD_BYTES -        (one burst per line "SECONDS" on stdin)
 *
 * A 1472-byte payload makes 1500-byte IPv4 packets. Send errors (ENOBUFS, ...) are
 * counted, not fatal; the TUN device drops what its reader does not take in time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 16
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
/* With UDP GSO one datagram of up to 64 segments becomes 64 wire packets, segmented in
 * software on the way to the TUN device (which has no offloads): the cheapest way for one
 * core to offer more packets than a reader on the other core can take. */
#define GSO_SEGMENTS 44 /* 44 x 1472 = 64768 bytes <= 65507 */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends for `seconds`, then prints one JSON line. */
static void burst(int s, struct mmsghdr *msgs, int segments, double seconds) {
  uint64_t sent = 0, errors = 0, calls = 0;
  int last_errno = 0;
  double t0 = now(), end = t0 + seconds, t = t0;
  while (t < end) {
    int n = sendmmsg(s, msgs, BATCH, 0);
    calls++;
    if (n < 0) {
      errors++;
      last_errno = errno;
    } else {
      sent += (uint64_t)n * (uint64_t)segments;
      if (n < BATCH) errors++;
    }
    t = now();
  }
  printf("{\"sent\":%llu,\"errors\":%llu,\"lastError\":\"%s\",\"calls\":%llu,\"segments\":%d,"
         "\"seconds\":%.6f,\"pps\":%.1f}\n",
         (unsigned long long)sent, (unsigned long long)errors, last_errno ? strerrorname_np(last_errno) : "",
         (unsigned long long)calls, segments, t - t0, (double)sent / (t - t0));
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: udp_blast DST PORT PAYLOAD_BYTES SECONDS\n");
    return 2;
  }
  struct sockaddr_in dst;
  memset(&dst, 0, sizeof dst);
  dst.sin_family = AF_INET;
  dst.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    fprintf(stderr, "udp_blast: bad address %s\n", argv[1]);
    return 2;
  }
  size_t size = (size_t)atoi(argv[3]);
  int from_stdin = strcmp(argv[4], "-") == 0;
  double seconds = from_stdin ? 1 : atof(argv[4]);
  if (size < 1 || size > 65507 || seconds <= 0 || seconds > 600) return 2;
  int segments = 1;

  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&dst, sizeof dst) < 0) {
    perror("udp_blast: socket/connect");
    return 1;
  }
  int pmtu = IP_PMTUDISC_DONT; /* never fragment locally on a surprise */
  setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);

  int gso = size;
  if (size * GSO_SEGMENTS <= 65507 && setsockopt(s, SOL_UDP, UDP_SEGMENT, &gso, sizeof gso) == 0) {
    segments = GSO_SEGMENTS;
  } else {
    fprintf(stderr, "udp_blast: no UDP GSO (%s): one datagram per packet\n", strerror(errno));
  }
  size_t total = size * (size_t)segments;
  uint8_t *payload = calloc(1, total);
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = total;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  if (!from_stdin) {
    burst(s, msgs, segments, seconds);
    return 0;
  }
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    seconds = atof(line);
    if (seconds > 0 && seconds <= 600) burst(s, msgs, segments, seconds);
  }
  return 0;
}
