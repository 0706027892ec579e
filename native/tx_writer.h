// A writer thread for one TUN device: the event loop copies packets into a ring and goes on,
// the thread write()s them to the device.
//
// Why: a write() to a TUN device is not a copy into a queue. The kernel receives the packet in
// the writer's own system call (tun_get_user → netif_receive_skb): IP and TCP input of the
// kernel's peer socket, its ACK and its wake-up all run there. In the connection-rate bench
// that was a third of tcplab's main thread; a second core is idle meanwhile. The thread moves
// that work off the event loop, at the cost of a hand-off (a wake-up when the thread sleeps).
//
// The ring is single producer (the JS thread), single consumer (the writer). Packets keep their
// order. A full ring makes the producer wait: the same back-pressure as a synchronous write().
// Packets still queued at Stop() are written before it returns, so close() loses nothing.
//
// A process confined to one CPU (taskset, a cpuset of one) gains nothing from the thread: it
// runs on the same CPU, and each hand-over costs two context switches (request/response on one
// CPU: 14 µs with the thread, 11 µs without). The thread checks its CPU affinity when it wakes
// and at least every 100 ms; while it has a single CPU, WriteInline() writes on the caller's
// thread whenever the ring is empty, which keeps the order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace tcplab {

class TxWriter {
 public:
  struct Counters {
    uint64_t txPackets, txBytes, txEagain, txErrors, ringWaits, wakeups;
    int lastError;
  };

  // Bytes of packet data the ring holds (a few 64 KiB super-segments at least), and slots.
  static constexpr size_t kRingBytes = 4u << 20;
  static constexpr size_t kSlots = 8192;

  TxWriter(int fd, size_t vnetHdrSize, uint32_t spinMicros);
  ~TxWriter();  // Stop()
  TxWriter(const TxWriter&) = delete;
  TxWriter& operator=(const TxWriter&) = delete;

  // Copies one packet (after `header`, vnetHdrSize bytes, when the device has them) into the
  // ring; waits while the ring is full. length + header must be <= kRingBytes / 4.
  void Enqueue(const uint8_t* data, size_t length, const uint8_t* header);
  // Writes the packet now, on the caller's thread, when the process has a single CPU and the
  // ring is empty; false (nothing done) otherwise, and the caller enqueues it.
  bool WriteInline(const uint8_t* data, size_t length, const uint8_t* header);
  // Tells the thread about everything enqueued since the last Publish (one wake-up per batch).
  void Publish();
  // Writes what is queued, then ends the thread. Idempotent.
  void Stop();
  Counters Read() const;

 private:
  struct Slot {
    uint64_t start;  // position in the ring's byte stream (physical offset: start % kRingBytes)
    uint32_t length;
  };

  void Run();
  // Writes one packet to the device and counts the outcome (either thread).
  void WritePacket(const uint8_t* data, size_t length, const uint8_t* header);
  // Re-reads the thread's CPU affinity into singleCpu_, at most every 50 ms unless `force`.
  void CheckAffinity(bool force);
  bool Fits(uint64_t start, size_t length) const;

  const int fd_;
  const size_t vnetHdrSize_;
  const uint32_t spinMicros_;
  std::unique_ptr<uint8_t[]> bytes_;
  std::unique_ptr<Slot[]> slots_;

  // Producer side (JS thread): the next slot and byte position, published to `tail_`.
  uint64_t nextSlot_ = 0;
  uint64_t nextByte_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};
  // Consumer side (writer thread): slots and bytes it has finished with.
  alignas(64) std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> freeByte_{0};

  // Sleeping and waking: the flags make the common case (the other side awake) lock-free.
  alignas(64) std::atomic<bool> writerSleeping_{false};
  std::atomic<bool> producerWaiting_{false};
  std::atomic<bool> stop_{false};
  // The process may run on one CPU only (the writer's own affinity, which taskset -a changes
  // with the others'): write inline. Read by the producer, written by the writer thread.
  std::atomic<bool> singleCpu_{false};
  std::chrono::steady_clock::time_point affinityCheckedAt_{};
  std::mutex mutex_;
  std::condition_variable writerCv_;
  std::condition_variable producerCv_;

  std::atomic<uint64_t> txPackets_{0}, txBytes_{0}, txEagain_{0}, txErrors_{0}, ringWaits_{0}, wakeups_{0};
  std::atomic<int> lastError_{0};
  std::thread thread_;
};

}  // namespace tcplab
