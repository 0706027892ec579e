// See native/tx_writer.h.
#include "tx_writer.h"

#include <sched.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "tun.h"

namespace tcplab {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

TxWriter::TxWriter(int fd, size_t vnetHdrSize, uint32_t spinMicros)
    : fd_(fd),
      vnetHdrSize_(vnetHdrSize),
      spinMicros_(spinMicros),
      bytes_(new uint8_t[kRingBytes]),
      slots_(new Slot[kSlots]) {
  thread_ = std::thread([this] { Run(); });
}

TxWriter::~TxWriter() { Stop(); }

bool TxWriter::Fits(uint64_t start, size_t length) const {
  return nextSlot_ - head_.load(std::memory_order_seq_cst) < kSlots &&
         start + length - freeByte_.load(std::memory_order_seq_cst) <= kRingBytes;
}

void TxWriter::Enqueue(const uint8_t* data, size_t length, const uint8_t* header) {
  size_t header_length = header == nullptr ? 0 : vnetHdrSize_;
  size_t total = header_length + length;
  uint64_t start = nextByte_;
  size_t phys = static_cast<size_t>(start % kRingBytes);
  // A packet is contiguous in the ring: one that would wrap starts over at the beginning.
  if (phys + total > kRingBytes) {
    start += kRingBytes - phys;
    phys = 0;
  }
  if (!Fits(start, total)) {
    // Full: let the writer see what is queued, then wait for room (back-pressure, as a
    // synchronous write() would give).
    Publish();
    ringWaits_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(mutex_);
    producerWaiting_.store(true, std::memory_order_seq_cst);
    while (!Fits(start, total)) producerCv_.wait_for(lock, std::chrono::milliseconds(1));
    producerWaiting_.store(false, std::memory_order_relaxed);
  }
  uint8_t* at = bytes_.get() + phys;
  if (header_length > 0) memcpy(at, header, header_length);
  memcpy(at + header_length, data, length);
  slots_[nextSlot_ % kSlots] = Slot{start, static_cast<uint32_t>(total)};
  nextSlot_++;
  nextByte_ = start + total;
}

bool TxWriter::WriteInline(const uint8_t* data, size_t length, const uint8_t* header) {
  // Everything enqueued so far has been written (the writer stores head_ after each write): a
  // packet written now follows them all.
  if (!singleCpu_.load(std::memory_order_relaxed) || head_.load(std::memory_order_acquire) != nextSlot_) return false;
  WritePacket(data, length, header);
  return true;
}

void TxWriter::WritePacket(const uint8_t* data, size_t length, const uint8_t* header) {
  ssize_t n = header == nullptr ? tun::Write(fd_, data, length) : tun::WriteWithHeader(fd_, header, vnetHdrSize_, data, length);
  if (n >= 0) {
    txPackets_.fetch_add(1, std::memory_order_relaxed);
    txBytes_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  } else if (n == -EAGAIN || n == -EWOULDBLOCK) {
    // Nobody to hand the packet back to: dropped, counted (TUN writes do not block).
    txEagain_.fetch_add(1, std::memory_order_relaxed);
  } else {
    txErrors_.fetch_add(1, std::memory_order_relaxed);
    lastError_.store(static_cast<int>(-n), std::memory_order_relaxed);
  }
}

void TxWriter::CheckAffinity(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - affinityCheckedAt_ < std::chrono::milliseconds(50)) return;
  affinityCheckedAt_ = now;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) singleCpu_.store(CPU_COUNT(&set) == 1, std::memory_order_relaxed);
}

void TxWriter::Publish() {
  if (tail_.load(std::memory_order_relaxed) == nextSlot_) return;
  tail_.store(nextSlot_, std::memory_order_seq_cst);
  // Pairs with the writer's store of writerSleeping_ then load of tail_ (both seq_cst): either
  // it sees the new tail, or we see it asleep and wake it under the mutex it sleeps on.
  if (writerSleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(mutex_);
    writerCv_.notify_one();
  }
}

void TxWriter::Run() {
  CheckAffinity(true);
  uint64_t head = 0;
  for (;;) {
    uint64_t tail = tail_.load(std::memory_order_acquire);
    if (head == tail) {
      if (spinMicros_ > 0) {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spinMicros_);
        while (tail_.load(std::memory_order_acquire) == head && !stop_.load(std::memory_order_relaxed) &&
               std::chrono::steady_clock::now() < until) {
          CpuRelax();
        }
        tail = tail_.load(std::memory_order_acquire);
      }
      if (head == tail) {
        if (stop_.load(std::memory_order_seq_cst) && tail_.load(std::memory_order_seq_cst) == head) return;
        std::unique_lock<std::mutex> lock(mutex_);
        writerSleeping_.store(true, std::memory_order_seq_cst);
        // Timed: the affinity can change while nothing is written (all of it inline).
        while (tail_.load(std::memory_order_seq_cst) == head && !stop_.load(std::memory_order_seq_cst)) {
          if (writerCv_.wait_for(lock, std::chrono::milliseconds(100)) == std::cv_status::timeout) break;
        }
        writerSleeping_.store(false, std::memory_order_relaxed);
        bool work = tail_.load(std::memory_order_seq_cst) != head;
        lock.unlock();
        CheckAffinity(!work);
        if (work) wakeups_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    while (head != tail) {
      const Slot slot = slots_[head % kSlots];
      WritePacket(bytes_.get() + slot.start % kRingBytes, slot.length, nullptr);
      head++;
      freeByte_.store(slot.start + slot.length, std::memory_order_seq_cst);
      head_.store(head, std::memory_order_seq_cst);
      if (producerWaiting_.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(mutex_);
        producerCv_.notify_one();
      }
    }
  }
}

void TxWriter::Stop() {
  if (!thread_.joinable()) return;
  Publish();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_seq_cst);
    writerCv_.notify_one();
  }
  thread_.join();
}

TxWriter::Counters TxWriter::Read() const {
  return Counters{txPackets_.load(std::memory_order_relaxed), txBytes_.load(std::memory_order_relaxed),
                  txEagain_.load(std::memory_order_relaxed),  txErrors_.load(std::memory_order_relaxed),
                  ringWaits_.load(std::memory_order_relaxed), wakeups_.load(std::memory_order_relaxed),
                  lastError_.load(std::memory_order_relaxed)};
}

}  // namespace tcplab
