// OS-neutral N-API glue for one TUN device (see native/tun.h for the OS seam).
//
// Reading: the fd is non-blocking and watched by a uv_poll handle on Node's own event
// loop. Each wake-up drains up to kMaxBatchesPerWake batches; a batch is up to
// batchPackets packets read() back to back into ONE arena allocated at open, with their
// offsets and lengths in two Uint32 tables. JS gets one call per batch with only the
// packet count; the arena and the tables were handed to JS once (as ArrayBuffers), so
// the hot path allocates nothing. The bytes of a batch are valid only during its
// callback: the next batch overwrites them.
//
// Writing: writeBatch(arena, offsets, lengths, count) and writeArray(packets) write
// many packets per call; EAGAIN stops the batch (the caller gets the count consumed),
// other per-packet errors are counted in the stats and the packet is dropped. After
// startWriter() the packets are copied to a writer thread instead (native/tx_writer.h), which
// write()s them in order; the calls then consume every packet, and errors are only counted.
#include <napi.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tun.h"
#include "tx_writer.h"

namespace tcplab {
namespace {

// The largest IP packet (a 64 KiB GSO super-packet with offloads), and the room every read()
// gets: a packet plus its virtio-net header, so none can ever be truncated (a TUN read into a
// too-small buffer loses the packet).
constexpr size_t kMaxPacket = 65536;
constexpr size_t kMaxRead = kMaxPacket + 64;
// Packets start on cache-line boundaries inside the arena.
constexpr size_t kAlign = 64;
// Bound the work per wake-up so a flood cannot starve the event loop; the poll is
// level-triggered and comes back on the next loop iteration if more is pending.
constexpr int kMaxBatchesPerWake = 4;
constexpr uint32_t kMaxBatchPackets = 4096;

size_t AlignUp(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

struct Stats {
  double rxPackets = 0, rxBytes = 0, rxBatches = 0, rxWakeups = 0, rxErrors = 0;
  double txPackets = 0, txBytes = 0, txEagain = 0, txErrors = 0;
  double txRingWaits = 0, txWriterWakeups = 0;  // the writer thread's (startWriter)
};

void SetErrorProps(Napi::Env env, Napi::Object err, const char* code, int errnum, const std::string& syscall,
                   const std::string& path) {
  err.Set("code", Napi::String::New(env, code));
  if (errnum != 0) err.Set("errno", Napi::Number::New(env, -errnum));
  if (!syscall.empty()) err.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) err.Set("path", Napi::String::New(env, path));
}

// A system error: Node-style (code = errno name, errno negative, syscall, path).
Napi::Error SystemError(Napi::Env env, int errnum, const std::string& syscall, const std::string& path) {
  std::string code = tun::ErrnoName(errnum);
  std::string message = code + ": " + strerror(errnum) + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";
  Napi::Error err = Napi::Error::New(env, message);
  SetErrorProps(env, err.Value(), code.c_str(), errnum, syscall, path);
  return err;
}

// Node's ERR_* codes: ERR_INVALID_ARG_* are TypeErrors, ERR_OUT_OF_RANGE a RangeError.
void ThrowCoded(Napi::Env env, const char* code, const std::string& message, bool typeError = false) {
  bool range = strcmp(code, "ERR_OUT_OF_RANGE") == 0;
  Napi::Error err = typeError ? Napi::TypeError::New(env, message)
                    : range   ? Napi::RangeError::New(env, message)
                              : Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, code));
  err.ThrowAsJavaScriptException();
}

class TunDevice : public Napi::ObjectWrap<TunDevice> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TunDevice",
                       {
                           InstanceAccessor<&TunDevice::GetName>("name"),
                           InstanceAccessor<&TunDevice::GetFd>("fd"),
                           InstanceAccessor<&TunDevice::GetClosed>("closed"),
                           InstanceAccessor<&TunDevice::GetArena>("arena"),
                           InstanceAccessor<&TunDevice::GetOffsets>("offsets"),
                           InstanceAccessor<&TunDevice::GetLengths>("lengths"),
                           InstanceAccessor<&TunDevice::GetBatchPackets>("batchPackets"),
                           InstanceAccessor<&TunDevice::GetVnetHdrSize>("vnetHdrSize"),
                           InstanceMethod<&TunDevice::Start>("start"),
                           InstanceMethod<&TunDevice::Stop>("stop"),
                           InstanceMethod<&TunDevice::SetRef>("setRef"),
                           InstanceMethod<&TunDevice::WriteBatch>("writeBatch"),
                           InstanceMethod<&TunDevice::WriteArray>("writeArray"),
                           InstanceMethod<&TunDevice::WriteVnet>("writeVnet"),
                           InstanceMethod<&TunDevice::StartWriter>("startWriter"),
                           InstanceMethod<&TunDevice::GetStats>("stats"),
                           InstanceMethod<&TunDevice::Close>("close"),
                       });
  }

  // new TunDevice({ name, netns, mtu, txQueueLen, up, addresses: [{ family, address, prefix }],
  //                 batchPackets, vnetHdr }) — the TypeScript wrapper validated everything.
  explicit TunDevice(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TunDevice>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE", "TunDevice: options must be an object", true);
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    tun::OpenOptions options;
    uint32_t batchPackets = 256;
    if (!ReadString(o, "name", &options.name) || !ReadString(o, "netns", &options.netns) ||
        !ReadInt(o, "mtu", &options.mtu) || !ReadInt(o, "txQueueLen", &options.txQueueLen) ||
        !ReadBool(o, "up", &options.up) || !ReadBool(o, "vnetHdr", &options.vnetHdr) ||
        !ReadUint(o, "batchPackets", &batchPackets) || !ReadAddresses(o, &options.addresses)) {
      return;  // exception pending
    }
    if (batchPackets < 1 || batchPackets > kMaxBatchPackets) {
      ThrowCoded(env, "ERR_OUT_OF_RANGE", "TunDevice: batchPackets must be 1.." + std::to_string(kMaxBatchPackets));
      return;
    }
    tun::Device device;
    tun::TunError error;
    if (!tun::Open(options, &device, &error)) {
      SystemError(env, error.err, error.syscall, error.path).ThrowAsJavaScriptException();
      return;
    }
    fd_ = device.fd;
    name_ = device.name;
    vnetHdrSize_ = device.vnetHdrSize;
    batchPackets_ = batchPackets;

    // One arena for a whole batch: batchPackets MTU-sized slots (header included) plus one
    // maximal read, allocated once, owned by V8 (so views handed to JS can never dangle).
    arenaSize_ = static_cast<size_t>(batchPackets) * AlignUp(static_cast<size_t>(options.mtu) + vnetHdrSize_) + kMaxRead;
    Napi::ArrayBuffer arena = Napi::ArrayBuffer::New(env, arenaSize_);
    Napi::ArrayBuffer offsets = Napi::ArrayBuffer::New(env, batchPackets * sizeof(uint32_t));
    Napi::ArrayBuffer lengths = Napi::ArrayBuffer::New(env, batchPackets * sizeof(uint32_t));
    arena_ = static_cast<uint8_t*>(arena.Data());
    offsets_ = static_cast<uint32_t*>(offsets.Data());
    lengths_ = static_cast<uint32_t*>(lengths.Data());
    arenaRef_ = Napi::Persistent(arena);
    offsetsRef_ = Napi::Persistent(offsets);
    lengthsRef_ = Napi::Persistent(lengths);
    asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "TunDevice");
  }

  // Finalizer: JS dropped an idle device without close(). (A reading device holds a
  // reference on itself, so it is never finalized while the poll is active.)
  ~TunDevice() override {
    StopWriter();
    if (poll_ != nullptr) {
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) tun::Close(fd_);
    fd_ = -1;
  }

 private:
  // ---- option parsing (defensive; the TypeScript wrapper is the real validator) ----
  bool ReadString(Napi::Object o, const char* key, std::string* out) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return true;
    if (!v.IsString()) return TypeErr(std::string("TunDevice: options.") + key + " must be a string");
    *out = v.As<Napi::String>().Utf8Value();
    return true;
  }
  bool ReadInt(Napi::Object o, const char* key, int* out) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return true;
    if (!v.IsNumber()) return TypeErr(std::string("TunDevice: options.") + key + " must be a number");
    *out = v.As<Napi::Number>().Int32Value();
    return true;
  }
  bool ReadUint(Napi::Object o, const char* key, uint32_t* out) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return true;
    if (!v.IsNumber()) return TypeErr(std::string("TunDevice: options.") + key + " must be a number");
    *out = v.As<Napi::Number>().Uint32Value();
    return true;
  }
  bool ReadBool(Napi::Object o, const char* key, bool* out) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return true;
    if (!v.IsBoolean()) return TypeErr(std::string("TunDevice: options.") + key + " must be a boolean");
    *out = v.As<Napi::Boolean>().Value();
    return true;
  }
  bool ReadAddresses(Napi::Object o, std::vector<tun::Address>* out) {
    Napi::Value v = o.Get("addresses");
    if (v.IsUndefined() || v.IsNull()) return true;
    if (!v.IsArray()) return TypeErr("TunDevice: options.addresses must be an array");
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value e = arr.Get(i);
      if (!e.IsObject()) return TypeErr("TunDevice: options.addresses[i] must be { family, address, prefix }");
      Napi::Object a = e.As<Napi::Object>();
      Napi::Value family = a.Get("family"), address = a.Get("address"), prefix = a.Get("prefix");
      if (!family.IsNumber() || !address.IsString() || !prefix.IsNumber()) {
        return TypeErr("TunDevice: options.addresses[i] must be { family, address, prefix }");
      }
      tun::Address parsed;
      parsed.family = family.As<Napi::Number>().Int32Value();
      parsed.address = address.As<Napi::String>().Utf8Value();
      parsed.prefix = prefix.As<Napi::Number>().Int32Value();
      out->push_back(parsed);
    }
    return true;
  }
  bool TypeErr(const std::string& message) {
    ThrowCoded(Env(), "ERR_INVALID_ARG_TYPE", message, true);
    return false;
  }

  bool CheckOpen(Napi::Env env) {
    if (fd_ >= 0) return true;
    ThrowCoded(env, "ERR_TUN_CLOSED", "the TUN device is closed");
    return false;
  }

  // ---- accessors ----
  Napi::Value GetName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }
  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  Napi::Value GetClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fd_ < 0); }
  Napi::Value GetArena(const Napi::CallbackInfo&) { return arenaRef_.Value(); }
  Napi::Value GetOffsets(const Napi::CallbackInfo&) { return offsetsRef_.Value(); }
  Napi::Value GetLengths(const Napi::CallbackInfo&) { return lengthsRef_.Value(); }
  Napi::Value GetBatchPackets(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), batchPackets_); }
  Napi::Value GetVnetHdrSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(vnetHdrSize_));
  }

  // ---- reading ----

  // start(onBatch(count), onError(err)): starts (or resumes) reading.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE", "start(onBatch, onError) needs two functions", true);
      return env.Undefined();
    }
    onBatch_ = Napi::Persistent(info[0].As<Napi::Function>());
    onError_ = Napi::Persistent(info[1].As<Napi::Function>());
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
        ThrowCoded(env, "ERR_TUN_LOOP", "cannot get the libuv event loop");
        return env.Undefined();
      }
      poll_ = new uv_poll_t;
      int rc = uv_poll_init(loop, poll_, fd_);
      if (rc != 0) {
        delete poll_;
        poll_ = nullptr;
        SystemError(env, -rc, "uv_poll_init", name_).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      poll_->data = this;
      if (!keepAlive_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    }
    if (!polling_) {
      int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
      if (rc != 0) {
        SystemError(env, -rc, "uv_poll_start", name_).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      polling_ = true;
      Ref();  // a reading device stays alive while JS holds no reference (like a socket)
    }
    return env.Undefined();
  }

  // stop(): stops reading; start() resumes. Packets queue in the kernel meanwhile.
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  // setRef(bool): whether an active reader keeps the event loop alive (default true).
  Napi::Value SetRef(const Napi::CallbackInfo& info) {
    keepAlive_ = info.Length() < 1 || info[0].ToBoolean().Value();
    if (poll_ != nullptr) {
      if (keepAlive_) {
        uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
      } else {
        uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
      }
    }
    return info.Env().Undefined();
  }

  void StopPolling() {
    if (!polling_) return;
    polling_ = false;
    uv_poll_stop(poll_);
    Unref();
  }

  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<TunDevice*>(handle->data);
    if (self != nullptr) self->Drain(status);
  }

  void Drain(int status) {
    if (!polling_) return;  // stopped; our self-reference may be gone
    Napi::Env env(env_);
    Napi::HandleScope handleScope(env);
    stats_.rxWakeups++;
    if (status < 0) {
      stats_.rxErrors++;
      Fatal(env, -status, "poll");
      return;
    }
    int fatalErr = 0;
    napi_value exception = nullptr;
    {
      // One callback scope per wake-up: microtasks and nextTicks run once, at its end.
      Napi::CallbackScope scope(env, *asyncContext_);
      Napi::Object recv = Value();
      for (int b = 0; b < kMaxBatchesPerWake && polling_ && fd_ >= 0; b++) {
        uint32_t count = 0;
        size_t off = 0;
        bool empty = false;
        while (count < batchPackets_ && arenaSize_ - off >= kMaxRead) {
          ssize_t n = tun::Read(fd_, arena_ + off, arenaSize_ - off);
          if (n < 0) {
            if (n == -EAGAIN || n == -EWOULDBLOCK) {
              empty = true;
            } else {
              fatalErr = static_cast<int>(-n);
            }
            break;
          }
          offsets_[count] = static_cast<uint32_t>(off);
          lengths_[count] = static_cast<uint32_t>(n);
          count++;
          stats_.rxBytes += static_cast<double>(n);
          off += AlignUp(static_cast<size_t>(n) == 0 ? 1 : static_cast<size_t>(n));
        }
        if (count > 0) {
          stats_.rxPackets += count;
          stats_.rxBatches++;
          napi_value argv[1] = {Napi::Number::New(env, count)};
          napi_value result;
          napi_status st = napi_call_function(env, recv, onBatch_.Value(), 1, argv, &result);
          if (st != napi_ok) {
            bool pending = false;
            napi_is_exception_pending(env, &pending);
            if (pending) napi_get_and_clear_last_exception(env, &exception);
            break;
          }
        }
        if (fatalErr != 0 || empty) break;
      }
    }
    // Outside the callback scope: report a throwing onBatch as an uncaught exception
    // (like a throwing 'data' listener), then a fatal read error to onError.
    if (exception != nullptr) napi_fatal_exception(env, exception);
    if (fatalErr != 0 && fd_ >= 0) {
      stats_.rxErrors++;
      Fatal(env, fatalErr, "read");
    }
  }

  // A read error that will not go away (e.g. the device was deleted under us): stop
  // reading and hand the error to onError.
  void Fatal(Napi::Env env, int errnum, const char* syscall) {
    Napi::Object self = Value();  // a local handle before StopPolling drops our self-reference
    Napi::Function onError = onError_.IsEmpty() ? Napi::Function() : onError_.Value();
    StopPolling();
    if (onError.IsEmpty()) return;
    Napi::Error err = SystemError(env, errnum, syscall, name_);
    onError.MakeCallback(self, {err.Value()}, *asyncContext_);
    if (env.IsExceptionPending()) {
      Napi::Error thrown = env.GetAndClearPendingException();
      napi_fatal_exception(env, thrown.Value());
    }
  }

  // ---- writing ----

  // Writes one packet (after its virtio-net header when `header` is given); returns false
  // when the batch must stop (EAGAIN).
  bool WriteOne(const uint8_t* data, size_t length, const uint8_t* header = nullptr) {
    if (writer_) {
      if (length <= kMaxPacket) {
        if (!writer_->WriteInline(data, length, header)) writer_->Enqueue(data, length, header);
      } else {  // what write() would refuse, refused here: the ring holds packets the kernel takes
        stats_.txErrors++;
        lastTxError_ = EMSGSIZE;
      }
      return true;
    }
    ssize_t n = header == nullptr ? tun::Write(fd_, data, length) : tun::WriteWithHeader(fd_, header, vnetHdrSize_, data, length);
    if (n >= 0) {
      stats_.txPackets++;
      stats_.txBytes += static_cast<double>(n);
      return true;
    }
    if (n == -EAGAIN || n == -EWOULDBLOCK) {
      stats_.txEagain++;
      return false;
    }
    stats_.txErrors++;
    lastTxError_ = static_cast<int>(-n);
    return true;
  }

  // writeBatch(arena: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count): number
  // Returns how many packets, from the front, were consumed (written, or dropped with an
  // error counted in stats); fewer than count only when the kernel said EAGAIN.
  Napi::Value WriteBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() ||
        !info[3].IsNumber()) {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE",
                 "writeBatch(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number)", true);
      return env.Undefined();
    }
    Napi::TypedArray buf = info[0].As<Napi::TypedArray>();
    Napi::TypedArray offs = info[1].As<Napi::TypedArray>();
    Napi::TypedArray lens = info[2].As<Napi::TypedArray>();
    if (buf.TypedArrayType() != napi_uint8_array || offs.TypedArrayType() != napi_uint32_array ||
        lens.TypedArrayType() != napi_uint32_array) {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE",
                 "writeBatch(buffer: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number)", true);
      return env.Undefined();
    }
    double countD = info[3].As<Napi::Number>().DoubleValue();
    size_t count = countD > 0 ? static_cast<size_t>(countD) : 0;
    if (countD != static_cast<double>(count) || count > offs.ElementLength() || count > lens.ElementLength()) {
      ThrowCoded(env, "ERR_OUT_OF_RANGE", "writeBatch: count must be an integer <= offsets.length and lengths.length");
      return env.Undefined();
    }
    const uint8_t* base = static_cast<const uint8_t*>(buf.ArrayBuffer().Data()) + buf.ByteOffset();
    size_t size = buf.ByteLength();
    const uint32_t* o = reinterpret_cast<const uint32_t*>(static_cast<const uint8_t*>(offs.ArrayBuffer().Data()) +
                                                          offs.ByteOffset());
    const uint32_t* l = reinterpret_cast<const uint32_t*>(static_cast<const uint8_t*>(lens.ArrayBuffer().Data()) +
                                                          lens.ByteOffset());
    for (size_t i = 0; i < count; i++) {
      if (static_cast<size_t>(o[i]) + l[i] > size) {
        ThrowCoded(env, "ERR_OUT_OF_RANGE",
                   "writeBatch: packet " + std::to_string(i) + " (offset " + std::to_string(o[i]) + ", length " +
                       std::to_string(l[i]) + ") lies outside the buffer of " + std::to_string(size) + " bytes");
        return env.Undefined();
      }
    }
    size_t done = 0;
    while (done < count && WriteOne(base + o[done], l[done])) done++;
    if (writer_) writer_->Publish();
    return Napi::Number::New(env, static_cast<double>(done));
  }

  // writeArray(packets: Uint8Array[]): number — same contract as writeBatch.
  Napi::Value WriteArray(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsArray()) {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE", "writeArray(packets: Uint8Array[])", true);
      return env.Undefined();
    }
    if (!CollectPackets(env, info[0].As<Napi::Array>())) return env.Undefined();
    size_t done = 0;
    while (done < scratch_.size() && WriteOne(scratch_[done].data, scratch_[done].length)) done++;
    if (writer_) writer_->Publish();
    return Napi::Number::New(env, static_cast<double>(done));
  }

  // writeVnet(packets: Uint8Array[], headers: Uint8Array): number — with vnetHdr: packet i is
  // written after headers[i * vnetHdrSize, (i + 1) * vnetHdrSize). Same contract as writeBatch.
  Napi::Value WriteVnet(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (vnetHdrSize_ == 0) {
      ThrowCoded(env, "ERR_TUN_NO_VNET_HDR", "writeVnet: the device was opened without vnetHdr");
      return env.Undefined();
    }
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE", "writeVnet(packets: Uint8Array[], headers: Uint8Array)", true);
      return env.Undefined();
    }
    Napi::Array arr = info[0].As<Napi::Array>();
    Napi::Uint8Array headers = info[1].As<Napi::Uint8Array>();
    uint32_t count = arr.Length();
    if (static_cast<size_t>(count) * vnetHdrSize_ > headers.ByteLength()) {
      ThrowCoded(env, "ERR_OUT_OF_RANGE", "writeVnet: headers must hold one header per packet");
      return env.Undefined();
    }
    if (!CollectPackets(env, arr)) return env.Undefined();
    const uint8_t* h = headers.Data();
    size_t done = 0;
    while (done < scratch_.size() && WriteOne(scratch_[done].data, scratch_[done].length, h + done * vnetHdrSize_)) done++;
    if (writer_) writer_->Publish();
    return Napi::Number::New(env, static_cast<double>(done));
  }

  // Fills scratch_ with the packets of a JS array; false (exception pending) on a non-Uint8Array.
  bool CollectPackets(Napi::Env env, Napi::Array arr) {
    uint32_t count = arr.Length();
    scratch_.clear();
    for (uint32_t i = 0; i < count; i++) {
      Napi::Value v = arr.Get(i);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        ThrowCoded(env, "ERR_INVALID_ARG_TYPE", "packets[" + std::to_string(i) + "] is not a Uint8Array", true);
        return false;
      }
      Napi::Uint8Array p = v.As<Napi::Uint8Array>();
      scratch_.push_back({p.Data(), p.ByteLength()});
    }
    return true;
  }

  // startWriter(spinMicros = 0): from now on a writer thread writes the packets (see the top
  // of this file). spinMicros: how long the idle thread polls the ring before it sleeps.
  Napi::Value StartWriter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    uint32_t spin = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
    if (!writer_) writer_ = std::make_unique<TxWriter>(fd_, vnetHdrSize_, spin);
    return env.Undefined();
  }

  static void AddWriterCounts(const TxWriter::Counters& c, Stats* into, int* lastError) {
    into->txPackets += static_cast<double>(c.txPackets);
    into->txBytes += static_cast<double>(c.txBytes);
    into->txEagain += static_cast<double>(c.txEagain);
    into->txErrors += static_cast<double>(c.txErrors);
    into->txRingWaits += static_cast<double>(c.ringWaits);
    into->txWriterWakeups += static_cast<double>(c.wakeups);
    if (c.lastError != 0) *lastError = c.lastError;
  }

  // Writes what the thread still holds, ends it, and keeps its counts in stats_.
  void StopWriter() {
    if (!writer_) return;
    writer_->Stop();
    AddWriterCounts(writer_->Read(), &stats_, &lastTxError_);
    writer_.reset();
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Stats now = stats_;
    int lastTxError = lastTxError_;
    if (writer_) AddWriterCounts(writer_->Read(), &now, &lastTxError);
    Napi::Object s = Napi::Object::New(env);
    s.Set("rxPackets", now.rxPackets);
    s.Set("rxBytes", now.rxBytes);
    s.Set("rxBatches", now.rxBatches);
    s.Set("rxWakeups", now.rxWakeups);
    s.Set("rxErrors", now.rxErrors);
    s.Set("txPackets", now.txPackets);
    s.Set("txBytes", now.txBytes);
    s.Set("txEagain", now.txEagain);
    s.Set("txErrors", now.txErrors);
    s.Set("lastTxError", lastTxError == 0 ? env.Null() : Napi::String::New(env, tun::ErrnoName(lastTxError)));
    s.Set("txWriter", Napi::Boolean::New(env, writer_ != nullptr));
    s.Set("txRingWaits", now.txRingWaits);
    s.Set("txWriterWakeups", now.txWriterWakeups);
    return s;
  }

  // close(): stops reading, closes the fd (the device disappears). Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseInternal();
    onBatch_.Reset();
    onError_.Reset();
    return info.Env().Undefined();
  }

  void CloseInternal() {
    StopPolling();
    StopWriter();  // before the fd goes: what is queued gets written
    if (poll_ != nullptr) {
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      tun::Close(fd_);
      fd_ = -1;
    }
  }

  struct Span {
    const uint8_t* data;
    size_t length;
  };

  napi_env env_;
  int fd_ = -1;
  std::string name_;
  uv_poll_t* poll_ = nullptr;
  bool polling_ = false;
  bool keepAlive_ = true;
  uint32_t batchPackets_ = 0;
  size_t vnetHdrSize_ = 0;
  uint8_t* arena_ = nullptr;
  size_t arenaSize_ = 0;
  uint32_t* offsets_ = nullptr;
  uint32_t* lengths_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> arenaRef_, offsetsRef_, lengthsRef_;
  Napi::FunctionReference onBatch_, onError_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  Stats stats_;
  int lastTxError_ = 0;
  std::vector<Span> scratch_;
  std::unique_ptr<TxWriter> writer_;
};

}  // namespace
}  // namespace tcplab

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using tcplab::kMaxBatchPackets;
  using tcplab::kMaxPacket;
  using tcplab::TunDevice;
  exports.Set("TunDevice", TunDevice::Define(env));
  exports.Set("maxPacket", Napi::Number::New(env, static_cast<double>(kMaxPacket)));
  exports.Set("maxBatchPackets", Napi::Number::New(env, kMaxBatchPackets));
  return exports;
}

NODE_API_MODULE(tcplab_tun, Init)
