/*
 * nr_plugin.hpp: a header-only C++17 SDK for nylon-ring plugins.
 *
 *     NYLON_RING_PLUGIN("my-plugin", "0.1.0", plugin) {
 *         plugin.unary("echo", [](const nylon_ring::sdk::Request &req, nylon_ring::sdk::Responder &res) {
 *             res.ok(req.payload());
 *             return nylon_ring::Status::Ok;
 *         });
 *     }
 *
 * Use the macro in exactly one source file: it defines the exported symbols. The SDK
 * keeps the ABI's rules for every handler:
 *
 *  - routing by entry name; an unknown name is answered Unsupported (Invalid when
 *    it is not valid UTF-8); NULL pointers with a length, a NULL request: Invalid;
 *  - try/catch(...) at every boundary: an exception becomes an Err answer, never
 *    an unwind into the host;
 *  - a Responder answers a unary call once and ends a stream once (later sends are
 *    dropped); its destructor answers Err for a handler that forgot to;
 *  - background entries and spawn() run on a small pool of worker threads fed by a
 *    queue; shutdown runs what is queued, waits for every task, joins the workers,
 *    ends open bidirectional streams, and after it returns nothing calls the host
 *    (sends are dropped);
 *  - the state extension (nylon_ring_set_host_ext_v1) is reached through the
 *    Responder; the layout probe export is defined.
 *
 * The synchronous path allocates nothing, takes no lock and writes no shared memory:
 * routing is one probe of a hash table built when the plugin is defined, so host
 * threads calling in parallel do not slow each other down.
 */
#ifndef NR_PLUGIN_HPP
#define NR_PLUGIN_HPP

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "nylon_ring.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define NR_PLUGIN_NOINLINE __attribute__((noinline))
#else
#define NR_PLUGIN_NOINLINE
#endif

namespace nylon_ring::sdk {

using nylon_ring::ByteView;
using nylon_ring::Status;

/** What an entry sends back. */
enum class Kind {
    Unary,   ///< exactly one answer
    Stream,  ///< Ok frames, then exactly one terminal frame
    Bidi,    ///< a stream that also receives the host's frames and close
};

/** Where an entry's handler runs. */
enum class Run {
    Sync,        ///< on the host's thread, inside handle (the fast path: keep it short)
    Background,  ///< on a worker of the background pool, with a copy of the request; joined at shutdown
};

/** What happened to a send. */
enum class Sent {
    Sent,       ///< handed to the host
    Ended,      ///< dropped: the call already had its answer or terminal frame
    ShutDown,   ///< dropped: the plugin has been shut down
    WrongKind,  ///< not sent: frames and end() belong to streams
};

namespace detail {

constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kGateStripes = 16;

/** One counter of calls into the host in progress, on a cache line of its own. */
struct alignas(kCacheLine) Stripe {
    std::atomic<std::size_t> callers{0};
};

/**
 * The host as init and nylon_ring_set_host_ext_v1 handed it over. Constant-initialised
 * and trivially destructible, so reaching it costs no guard and it outlives every
 * thread (nothing runs at static destruction).
 */
struct Host {
    void *ctx = nullptr;
    NrSendResultFn send = nullptr;
    std::atomic<const NrHostExt *> ext{nullptr};
    std::atomic<bool> live{false};      // init done, shutdown not finished
    std::atomic<bool> stopping{false};  // shutdown has begun: no new work
    // calls into the host in progress from threads that may race shutdown, spread by sid
    Stripe callers[kGateStripes];
};

inline Host g_host;

inline Host &host() noexcept { return g_host; }

inline std::atomic<std::size_t> &stripe_of(std::uint64_t sid) noexcept {
    static_assert(kGateStripes == 16, "a stripe is picked by the top 4 bits of a hash");
    return host().callers[(sid * UINT64_C(0x9E3779B97F4A7C15)) >> 60].callers;
}

/** Every call into the host from a thread that may race shutdown passes this gate, so
 * shutdown can wait for the last one. */
class Gate {
public:
    explicit Gate(std::uint64_t sid) noexcept : counter_(stripe_of(sid)), open_(enter()) {}
    ~Gate() {
        if (open_) counter_.fetch_sub(1);
    }
    Gate(const Gate &) = delete;
    Gate &operator=(const Gate &) = delete;
    explicit operator bool() const noexcept { return open_; }

private:
    bool enter() noexcept {
        counter_.fetch_add(1);
        if (host().live.load()) return true;
        counter_.fetch_sub(1);
        return false;
    }
    std::atomic<std::size_t> &counter_;
    bool open_;
};

/** Shutdown's last step: no call enters the host after this returns. */
inline void close_gate() noexcept {
    host().live.store(false);
    for (Stripe &stripe : host().callers) {
        while (stripe.callers.load() != 0) std::this_thread::yield();
    }
    host().ext.store(nullptr);
}

/** Sends one frame from a thread that may race shutdown. */
NR_PLUGIN_NOINLINE inline Sent send_shared(std::uint64_t sid, NrStatus status, const void *data,
                                           std::size_t size) noexcept {
    Gate gate(sid);
    if (!gate) return Sent::ShutDown;
    host().send(host().ctx, sid, status, nylon_ring::make_bytes(data, size));
    return Sent::Sent;
}

/**
 * Sends one frame. A `shared` sender may run on any thread, so it passes the gate; an
 * unshared one runs inside a host call on the host's thread, which shutdown cannot
 * overlap, so checking that the plugin is live is enough.
 */
inline Sent send(std::uint64_t sid, NrStatus status, const void *data, std::size_t size, bool shared) noexcept {
    if (shared) return send_shared(sid, status, data, size);
    if (!host().live.load(std::memory_order_acquire)) return Sent::ShutDown;
    host().send(host().ctx, sid, status, nylon_ring::make_bytes(data, size));
    return Sent::Sent;
}

inline bool is_error(Status s) noexcept { return s == Status::Err || s == Status::Invalid || s == Status::Unsupported; }

/** A rejection must be an error status; anything else becomes Err. */
inline Status as_rejection(Status s) noexcept { return is_error(s) ? s : Status::Err; }

inline void unlist_session(std::uint64_t sid) noexcept;

/** A lock for short critical sections: two atomic operations when free, where a mutex costs two library calls. */
class SpinLock {
public:
    void lock() noexcept {
        while (held_.exchange(true, std::memory_order_acquire)) {
            for (int i = 0; held_.load(std::memory_order_relaxed); ++i) {
                if (i >= 64) std::this_thread::yield();
            }
        }
    }
    void unlock() noexcept { held_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> held_{false};
};

}  // namespace detail

/** A call's input: borrowed from the host (sync) or owned by the SDK (background). */
class Request {
public:
    std::uint64_t sid() const noexcept { return sid_; }
    std::string_view entry() const noexcept { return entry_; }
    /** The body (never holds a NULL pointer with a length). */
    ByteView payload() const noexcept { return payload_; }
    /** The body as text (not UTF-8 checked). */
    std::string_view text() const noexcept { return payload_.as_text(); }
    /** Whether the call came through handle (with request metadata) rather than handle_raw. */
    bool has_metadata() const noexcept { return meta_ != nullptr; }
    std::string_view method() const noexcept { return meta_ ? nylon_ring::view(meta_->method) : std::string_view(); }
    std::string_view path() const noexcept { return meta_ ? nylon_ring::view(meta_->path) : std::string_view(); }
    std::string_view query() const noexcept { return meta_ ? nylon_ring::view(meta_->query) : std::string_view(); }
    std::size_t header_count() const noexcept { return meta_ ? meta_->headers_len : 0; }
    std::pair<std::string_view, std::string_view> header_at(std::size_t i) const noexcept {
        if (i >= header_count()) return {};
        return {nylon_ring::view(meta_->headers[i].key), nylon_ring::view(meta_->headers[i].value)};
    }
    /** The first header named `name` (ASCII case-insensitive). */
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < header_count(); ++i) {
            auto [key, value] = header_at(i);
            if (equal_nocase(key, name)) return value;
        }
        return std::nullopt;
    }

    Request(std::uint64_t sid, std::string_view entry, const NrRequest *meta, ByteView payload) noexcept
        : sid_(sid), entry_(entry), meta_(meta), payload_(payload) {}

private:
    static bool equal_nocase(std::string_view a, std::string_view b) noexcept {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            unsigned x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
            if (x - 'A' < 26u) x += 32;
            if (y - 'A' < 26u) y += 32;
            if (x != y) return false;
        }
        return true;
    }

    std::uint64_t sid_;
    std::string_view entry_;
    const NrRequest *meta_;
    ByteView payload_;
};

/**
 * Answers one call. Move-only, one owner at a time (not for concurrent use): move it
 * into a background task to answer later. Unary calls take one reply(); streams take
 * frame()s and one end() or fail(). Whatever follows the final answer is dropped. A
 * Responder destroyed before answering sends Err (the handler forgot, or threw).
 */
class Responder {
public:
    /** `shared`: may answer from any thread (the SDK passes false only inside a host call on the host's thread). */
    Responder(std::uint64_t sid, Kind kind, bool shared = true) noexcept : sid_(sid), kind_(kind), shared_(shared) {}
    /** A moved Responder may travel to another thread: it answers through the shutdown gate. */
    Responder(Responder &&other) noexcept { take(other); }
    Responder &operator=(Responder &&other) noexcept {
        if (this != &other) {
            finish_forgotten();
            take(other);
        }
        return *this;
    }
    Responder(const Responder &) = delete;
    Responder &operator=(const Responder &) = delete;
    ~Responder() { finish_forgotten(); }

    std::uint64_t sid() const noexcept { return sid_; }
    Kind kind() const noexcept { return kind_; }
    /** Whether the final answer was sent (or this Responder was moved from). */
    bool done() const noexcept { return ended_ || !owner_; }

    /** The final answer: unary, any status; streams, the terminal frame (Ok is sent as StreamEnd). */
    Sent reply(Status status, ByteView data) noexcept {
        if (kind_ != Kind::Unary && !detail::is_error(status)) status = Status::StreamEnd;
        return final_(status, data.data(), data.size());
    }
    Sent reply(Status status, std::string_view text) noexcept { return reply(status, as_bytes(text)); }
    Sent reply(Status status) noexcept { return reply(status, ByteView()); }
    Sent ok(ByteView data) noexcept { return reply(Status::Ok, data); }
    Sent ok(std::string_view text) noexcept { return reply(Status::Ok, as_bytes(text)); }

    /** One Ok frame of a stream. */
    Sent frame(ByteView data) noexcept {
        if (kind_ == Kind::Unary) return Sent::WrongKind;
        if (!owner_ || ended_) return Sent::Ended;
        sent_ = true;
        return detail::send(sid_, NR_STATUS_OK, data.data(), data.size(), shared_);
    }
    Sent frame(std::string_view text) noexcept { return frame(as_bytes(text)); }
    /** Ends a stream normally (StreamEnd). */
    Sent end() noexcept { return kind_ == Kind::Unary ? Sent::WrongKind : final_(Status::StreamEnd, nullptr, 0); }
    /** Ends any call with an error status (Ok or StreamEnd become Err) and a message. */
    Sent fail(Status status, std::string_view message = {}) noexcept {
        return final_(detail::is_error(status) ? status : Status::Err, message.data(), message.size());
    }

    /** Stores `value` under `key` for this sid; `stored` (optional) views the host's copy. */
    bool set_state(std::string_view key, ByteView value, ByteView *stored = nullptr) const noexcept {
        const NrHostExt *ext = detail::host().ext.load();
        if (ext == nullptr || ext->set_state == nullptr || !fits_key(key)) return false;
        detail::Gate gate(sid_);
        if (!gate) return false;
        NrBytes copy = ext->set_state(detail::host().ctx, sid_, nylon_ring::make_str(key), nylon_ring::make_bytes(value));
        if (stored != nullptr) *stored = nylon_ring::view(copy);
        return true;
    }
    bool set_state(std::string_view key, std::string_view value) const noexcept { return set_state(key, as_bytes(value)); }
    /** The value under `key` for this sid (empty when absent); nullopt without a state extension. */
    std::optional<ByteView> get_state(std::string_view key) const noexcept {
        const NrHostExt *ext = detail::host().ext.load();
        if (ext == nullptr || ext->get_state == nullptr || !fits_key(key)) return std::nullopt;
        detail::Gate gate(sid_);
        if (!gate) return std::nullopt;
        return nylon_ring::view(ext->get_state(detail::host().ctx, sid_, nylon_ring::make_str(key)));
    }

private:
    friend struct ResponderAccess;

    static ByteView as_bytes(std::string_view text) noexcept {
        return {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()};
    }
    static bool fits_key(std::string_view key) noexcept { return key.size() <= UINT32_MAX; }

    Sent final_(Status status, const void *data, std::size_t size) noexcept {
        if (!owner_ || ended_) return Sent::Ended;
        ended_ = sent_ = true;
        if (kind_ == Kind::Bidi) return final_bidi(status, data, size);
        return detail::send(sid_, nylon_ring::to_c(status), data, size, shared_);
    }
    /** A stream's terminal frame: its sid is unknown from then on (out of line: the unary path keeps no frame). */
    NR_PLUGIN_NOINLINE Sent final_bidi(Status status, const void *data, std::size_t size) noexcept {
        detail::unlist_session(sid_);
        return detail::send(sid_, nylon_ring::to_c(status), data, size, shared_);
    }
    void finish_forgotten() noexcept {
        if (owner_ && !ended_) answer_forgotten();
    }
    NR_PLUGIN_NOINLINE void answer_forgotten() noexcept {
        fail(Status::Err, sent_ ? "the stream was left open" : "the handler did not answer");
    }
    void take(Responder &other) noexcept {
        sid_ = other.sid_;
        kind_ = other.kind_;
        ended_ = other.ended_;
        sent_ = other.sent_;
        owner_ = other.owner_;
        shared_ = true;
        other.owner_ = false;
    }

    std::uint64_t sid_ = 0;
    Kind kind_ = Kind::Unary;
    bool ended_ = false;
    bool sent_ = false;
    bool owner_ = true;
    bool shared_ = true;
};

/** What the SDK reads and sets on a Responder around a handler. */
struct ResponderAccess {
    static bool owner(const Responder &r) noexcept { return r.owner_; }
    static bool sent(const Responder &r) noexcept { return r.sent_; }
    /** A rejected call: nothing may be sent for it, not even the destructor's Err. */
    static void reject(Responder &r) noexcept { r.ended_ = true; }
    /**
     * A stream's Responder while one of its callbacks runs inside a host call on the
     * host's thread (shutdown cannot overlap it, so its sends skip the gate), and
     * shared again afterwards.
     */
    static void inside_host_call(Responder &r, bool inside) noexcept {
        if (r.owner_) r.shared_ = !inside;
    }
};

/** One open bidirectional stream; the SDK owns it until the stream ends. */
class Session {
public:
    explicit Session(std::uint64_t sid) noexcept : responder_(sid, Kind::Bidi) {}
    std::uint64_t sid() const noexcept { return responder_.sid(); }
    /** Sends frames and ends the stream. */
    Responder &responder() noexcept { return responder_; }
    /** Anything the plugin keeps per stream. */
    std::shared_ptr<void> user;

private:
    Responder responder_;
};

using Handler = std::function<Status(const Request &, Responder &)>;
using OpenHandler = std::function<Status(const Request &, Session &)>;
using DataHandler = std::function<Status(Session &, ByteView)>;
using CloseHandler = std::function<Status(Session &)>;

/** The plugin: its identity and its entries, filled in by the NYLON_RING_PLUGIN body. */
class Plugin {
public:
    using HandlerFn = Status (*)(const Request &, Responder &);

    struct Entry {
        std::string name;
        Kind kind;
        Run run;
        Handler handler;
        OpenHandler open;
        DataHandler on_data;
        CloseHandler on_close;
        /** The handler when it is a plain function: called directly, without std::function's hop. */
        HandlerFn direct = nullptr;
    };

    Plugin(std::string name, std::string version) : name_(std::move(name)), version_(std::move(version)) {}
    /** A copy routes to its own entries (the routing table points at them). */
    Plugin(const Plugin &other)
        : name_(other.name_), version_(other.version_), entries_(other.entries_), init_(other.init_),
          shutdown_(other.shutdown_), background_threads_(other.background_threads_) {
        reindex();
    }
    Plugin &operator=(const Plugin &other) {
        if (this != &other) {
            name_ = other.name_;
            version_ = other.version_;
            entries_ = other.entries_;
            init_ = other.init_;
            shutdown_ = other.shutdown_;
            background_threads_ = other.background_threads_;
            reindex();
        }
        return *this;
    }

    /** An entry answered exactly once. */
    Plugin &unary(std::string name, Handler handler, Run run = Run::Sync) {
        return add(Entry{std::move(name), Kind::Unary, run, std::move(handler), {}, {}, {}});
    }
    /** An entry that sends frames, then one terminal frame. */
    Plugin &stream(std::string name, Handler handler, Run run = Run::Sync) {
        return add(Entry{std::move(name), Kind::Stream, run, std::move(handler), {}, {}, {}});
    }
    /**
     * A bidirectional entry: `open` accepts the stream, `on_data` gets each frame the
     * host sends, `on_close` (optional) runs when the host closes its side; the stream
     * then ends with StreamEnd, or with the error status on_close returns.
     */
    Plugin &bidi(std::string name, OpenHandler open, DataHandler on_data, CloseHandler on_close = {}) {
        return add(Entry{std::move(name), Kind::Bidi, Run::Sync, {}, std::move(open), std::move(on_data),
                         std::move(on_close)});
    }
    /** Runs at the end of init; anything but Ok fails the load. */
    Plugin &on_init(std::function<Status()> hook) {
        init_ = std::move(hook);
        return *this;
    }
    /** Runs in shutdown after background work is joined, before sends stop. */
    Plugin &on_shutdown(std::function<void()> hook) {
        shutdown_ = std::move(hook);
        return *this;
    }
    /**
     * Worker threads for background entries and spawn() (0, the default: one per CPU,
     * at least 2). Workers are shared: a task that blocks holds one of them.
     */
    Plugin &background_threads(std::size_t count) noexcept {
        background_threads_ = count;
        return *this;
    }

    const std::string &name() const noexcept { return name_; }
    const std::string &version() const noexcept { return version_; }
    const std::vector<Entry> &entries() const noexcept { return entries_; }
    std::size_t background_threads() const noexcept { return background_threads_; }
    /** The entry named `name` (the first one registered under it); nullptr when there is none. */
    const Entry *find(std::string_view name) const noexcept {
        if (name.size() <= 16) return find_short(name);
        Key key(name);
        for (std::size_t i = key.slot(mask_);; i = (i + 1) & mask_) {
            const Route &r = routes_[i];
            if (r.entry == nullptr) return nullptr;
            if (r.key == key && r.entry->name == name) return r.entry;
        }
    }
    /** find() for a name of at most 16 bytes, which its key holds whole: no string compare. */
    const Entry *find_short(std::string_view name) const noexcept {
        Key key(name);
        for (std::size_t i = key.slot(mask_);; i = (i + 1) & mask_) {
            const Route &r = routes_[i];
            if (r.entry == nullptr || r.key == key) return r.entry;
        }
    }
    /**
     * The SDK's fast path: the entry named `name` (at most 16 bytes) when the first slot
     * probed holds it, in `*entry`, and true; false (and no answer) when the probe must
     * go on, which find() then does. No loop and no call, so the caller needs no frame.
     */
    bool find_first(std::string_view name, const Entry **entry) const noexcept {
        Key key(name);
        const Route &r = routes_[key.slot(mask_)];
        *entry = r.entry;
        return r.entry == nullptr || r.key == key;
    }
    const std::function<Status()> &init_hook() const noexcept { return init_; }
    const std::function<void()> &shutdown_hook() const noexcept { return shutdown_; }

private:
    /**
     * A name's routing key: its length and its first and last 8 bytes (overlapping
     * windows for shorter names, so a key holds every byte of a name up to 16 bytes).
     */
    struct Key {
        std::uint64_t head = 0, tail = 0, len = 0;
        Key() = default;
        explicit Key(std::string_view name) noexcept : len(name.size()) {
            const char *p = name.data();
            std::size_t n = name.size();
            if (n >= 8) {
                std::memcpy(&head, p, 8);
                std::memcpy(&tail, p + n - 8, 8);
            } else if (n >= 4) {
                std::uint32_t x, y;
                std::memcpy(&x, p, 4);
                std::memcpy(&y, p + n - 4, 4);
                head = x;
                tail = y;
            } else if (n > 0) {
                auto byte = [p](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
                head = byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
            }
        }
        bool operator==(const Key &o) const noexcept { return len == o.len && head == o.head && tail == o.tail; }
        /** Names that share their first 8 bytes and length share a slot: the probe moves on. */
        std::size_t slot(std::size_t mask) const noexcept {
            return static_cast<std::size_t>(((head + len) * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
        }
    };
    /** One slot of the open-addressing routing table. */
    struct Route {
        Key key;
        const Entry *entry = nullptr;  // nullptr: an empty slot
    };

    Plugin &add(Entry entry) {
        if (auto *fn = entry.handler.template target<HandlerFn>()) entry.direct = *fn;
        entries_.push_back(std::move(entry));
        reindex();
        return *this;
    }
    /** Rebuilds the table (at least twice the entries, so a probe always ends); the first of equal names wins. */
    void reindex() {
        std::size_t size = 8;
        while (size < 2 * entries_.size()) size *= 2;
        std::vector<Route> table(size);
        std::size_t mask = size - 1;
        for (const Entry &e : entries_) {
            Key key(e.name);
            std::size_t i = key.slot(mask);
            while (table[i].entry != nullptr && !(table[i].key == key && table[i].entry->name == e.name)) {
                i = (i + 1) & mask;
            }
            if (table[i].entry == nullptr) table[i] = Route{key, &e};
        }
        routes_ = std::move(table);
        mask_ = mask;
    }

    std::string name_;
    std::string version_;
    std::vector<Entry> entries_;
    std::vector<Route> routes_ = std::vector<Route>(8);
    std::size_t mask_ = 7;
    std::function<Status()> init_;
    std::function<void()> shutdown_;
    std::size_t background_threads_ = 0;
};

namespace detail {

/** Work for the background pool. */
struct Task {
    virtual ~Task() = default;
    virtual void run() = 0;
};

template <typename F>
struct FnTask final : Task {
    explicit FnTask(F fn) : fn_(std::move(fn)) {}
    void run() override { fn_(); }
    F fn_;
};

inline const Plugin *&plugin_slot() noexcept {
    static const Plugin *plugin = nullptr;
    return plugin;
}

/**
 * Background work: a queue and a pool of worker threads, started on first use (at most
 * Plugin::background_threads(), by default one per CPU and at least 2). Shutdown runs
 * what is queued, waits for every task, then joins the workers; the next init starts a
 * new pool on demand.
 */
class Workers {
public:
    /** Queues `task`; on false (shutting down, no thread could start) the caller keeps it. */
    bool start(std::unique_ptr<Task> &task) {
        bool wake;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (host().stopping.load()) return false;
            queue_.push_back(std::move(task));
            if (!grow_locked()) {
                task = std::move(queue_.back());  // no thread could start: take it back
                queue_.pop_back();
                return false;
            }
            wake = sleeping_ > 0;
        }
        if (wake) work_.notify_one();  // after the unlock: the worker it wakes does not wait for the lock
        return true;
    }

    /**
     * Shutdown: every queued task runs and every task returns (new ones are refused by
     * now), then the workers are joined. Called from a task (the host shut the plugin
     * down from inside send_result), that worker helps drain the queue and is detached.
     */
    void join_all() noexcept {
        std::vector<std::thread> threads;
        const std::thread::id self = std::this_thread::get_id();
        try {
            std::unique_lock<std::mutex> lock(mutex_);
            const bool on_worker =
                std::any_of(threads_.begin(), threads_.end(), [&](const std::thread &t) { return t.get_id() == self; });
            while (!queue_.empty() || running_ > (on_worker ? 1u : 0u)) {
                if (on_worker && !queue_.empty()) {
                    run_one_locked(lock);
                } else {
                    quiet_.wait(lock);
                }
            }
            threads.swap(threads_);
            size_ = 0;
            ++generation_;
            work_.notify_all();
        } catch (...) {
            return;  // the lock itself failed: nothing sane is left to wait for
        }
        for (std::thread &t : threads) {
            try {
                if (t.get_id() == self) {
                    t.detach();
                } else {
                    t.join();
                }
            } catch (...) {
                // a thread that cannot be joined is left to finish on its own
            }
        }
    }

private:
    static std::size_t configured_size() noexcept {
        const Plugin *plugin = plugin_slot();
        std::size_t n = plugin != nullptr ? plugin->background_threads() : 0;
        if (n == 0) n = std::max<std::size_t>(std::thread::hardware_concurrency(), 2);
        return std::min<std::size_t>(n, 64);
    }

    /** Starts one more worker when none sleeps and the pool has room; false when there is no worker at all. */
    bool grow_locked() noexcept {
        if (size_ == 0) size_ = configured_size();  // once a generation: it asks the system for the CPU count
        if (sleeping_ == 0 && threads_.size() < size_) {
            try {
                unsigned generation = generation_;
                threads_.emplace_back([this, generation] { work(generation); });
            } catch (...) {
                // no thread: the ones already running take the task
            }
        }
        return !threads_.empty();
    }

    void work(unsigned generation) noexcept {
        std::unique_lock<std::mutex> lock(mutex_);
        while (generation_ == generation) {
            if (queue_.empty()) {
                ++sleeping_;
                work_.wait(lock);
                --sleeping_;
                continue;
            }
            run_one_locked(lock);
        }
    }

    /** Runs the first queued task with the lock released. */
    void run_one_locked(std::unique_lock<std::mutex> &lock) noexcept {
        std::unique_ptr<Task> task = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
        lock.unlock();
        try {
            task->run();
        } catch (...) {
            // the task's Responder, destroyed below, answers Err
        }
        task.reset();
        lock.lock();
        --running_;
        quiet_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable work_;   // a task was queued, or shutdown ended the workers' generation
    std::condition_variable quiet_;  // a task finished
    std::deque<std::unique_ptr<Task>> queue_;
    std::vector<std::thread> threads_;  // workers of this generation
    std::size_t size_ = 0;              // how many workers this generation may have (0: not decided yet)
    unsigned generation_ = 0;           // bumped by shutdown: workers of older generations exit
    unsigned sleeping_ = 0;
    unsigned running_ = 0;
};

inline Workers &workers() {
    static Workers *w = new Workers();  // leaked on purpose: detached workers may outlive static destruction
    return *w;
}

}  // namespace detail

/**
 * Runs `job` on the background pool (shutdown waits for it); move a Responder into it
 * to answer from there. False when the plugin is shutting down or no thread could
 * start: `job` is then destroyed here (a Responder inside it answers Err).
 */
template <typename F>
bool spawn(F &&job) noexcept {
    try {
        std::unique_ptr<detail::Task> task = std::make_unique<detail::FnTask<std::decay_t<F>>>(std::forward<F>(job));
        return detail::workers().start(task);
    } catch (...) {
        return false;
    }
}

/** Whether shutdown has begun: long-running background work should finish. */
inline bool shutting_down() noexcept { return detail::host().stopping.load(); }

/** Whether the host handed over a state extension. */
inline bool state_available() noexcept {
    const NrHostExt *ext = detail::host().ext.load();
    return ext != nullptr && ext->set_state != nullptr && ext->get_state != nullptr;
}

namespace detail {

inline const char *what(const std::exception_ptr &error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception &e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

/** Runs a handler; an exception fails the call with Err and its message. */
template <typename F>
Status guarded(Responder &res, F &&fn) noexcept {
    try {
        return fn();
    } catch (...) {
        res.fail(Status::Err, what(std::current_exception()));
        return Status::Err;
    }
}

/** Calls an entry's handler: directly when it is a plain function. */
inline Status call_handler(const Plugin::Entry &entry, const Request &req, Responder &res) {
    return entry.direct != nullptr ? entry.direct(req, res) : entry.handler(req, res);
}

/* ---- input checks ---- */

inline bool str_ok(const NrStr &s) noexcept { return s.ptr != nullptr || s.len == 0; }

inline bool bytes_ok(const NrBytes &b) noexcept {
    return (b.ptr != nullptr || b.len == 0) && static_cast<std::uint64_t>(static_cast<std::size_t>(b.len)) == b.len;
}

inline bool request_ok(const NrRequest *req) noexcept {
    if (req == nullptr || !str_ok(req->path) || !str_ok(req->method) || !str_ok(req->query)) return false;
    if (req->headers == nullptr) return req->headers_len == 0;
    for (std::uint32_t i = 0; i < req->headers_len; ++i) {
        if (!str_ok(req->headers[i].key) || !str_ok(req->headers[i].value)) return false;
    }
    return true;
}

/** Length of the UTF-8 sequence at p (1..4), or 0 when malformed. */
inline std::size_t utf8_sequence(const std::uint8_t *p, std::size_t left) noexcept {
    std::uint8_t c = p[0];
    std::size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || n > left) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) return 0;
    return n;
}

}  // namespace detail

/** Whether `text` is well-formed UTF-8. */
inline bool utf8_valid(std::string_view text) noexcept {
    const auto *p = reinterpret_cast<const std::uint8_t *>(text.data());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = detail::utf8_sequence(p + i, text.size() - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

namespace detail {

/* ---- background entries ---- */

/** A request copied out of host memory, with a Request viewing the copy (not movable: it points into itself). */
class OwnedRequest {
public:
    OwnedRequest(std::string_view entry, const NrRequest *meta, ByteView payload)
        : entry_(entry), payload_(payload.begin(), payload.end()), has_meta_(meta != nullptr) {
        if (meta == nullptr) return;
        method_ = nylon_ring::view(meta->method);
        path_ = nylon_ring::view(meta->path);
        query_ = nylon_ring::view(meta->query);
        strings_.reserve(2 * static_cast<std::size_t>(meta->headers_len));
        for (std::uint32_t i = 0; i < meta->headers_len; ++i) {
            strings_.emplace_back(nylon_ring::view(meta->headers[i].key));
            strings_.emplace_back(nylon_ring::view(meta->headers[i].value));
        }
        for (std::size_t i = 0; i + 1 < strings_.size(); i += 2) {
            headers_.push_back(nylon_ring::make_header(strings_[i], strings_[i + 1]));
        }
        meta_ = nylon_ring::make_request(path_, method_, query_, headers_.empty() ? nullptr : headers_.data(),
                                         static_cast<std::uint32_t>(headers_.size()));
    }
    OwnedRequest(const OwnedRequest &) = delete;
    OwnedRequest &operator=(const OwnedRequest &) = delete;

    Request view(std::uint64_t sid) const noexcept {
        return Request(sid, entry_, has_meta_ ? &meta_ : nullptr, ByteView(payload_.data(), payload_.size()));
    }

private:
    std::string entry_;
    std::vector<std::uint8_t> payload_;
    bool has_meta_;
    std::string method_, path_, query_;
    std::vector<std::string> strings_;
    std::vector<NrHeader> headers_;
    NrRequest meta_{};
};

/** After a handler: the call always ends, with the handler's status if it did not. */
inline void settle_background(Responder &res, Status status) noexcept {
    if (res.done()) return;
    if (ResponderAccess::sent(res) || status == Status::Ok) return;  // the destructor answers Err
    res.reply(as_rejection(status));
}

struct BackgroundCall final : Task {
    BackgroundCall(const Plugin::Entry &entry, const Request &borrowed, const NrRequest *meta)
        : entry_(entry), request_(borrowed.entry(), meta, borrowed.payload()), responder_(borrowed.sid(), entry.kind) {}
    void run() override {
        Request req = request_.view(responder_.sid());
        settle_background(responder_, guarded(responder_, [&] { return call_handler(entry_, req, responder_); }));
    }
    const Plugin::Entry &entry_;
    OwnedRequest request_;
    Responder responder_;
};

/* ---- bidirectional sessions ---- */

/** One open stream: its Session, the entry it runs, and the references that keep it alive. */
struct SessionSlot {
    SpinLock lock;                  // one callback of a session at a time
    std::atomic<unsigned> refs{1};  // the table's while listed, plus one per holder (SlotRef)
    bool listed = false;            // guarded by its bucket's lock
    SessionSlot *next = nullptr;    // the next slot in its bucket
    Session session;
    const Plugin::Entry *entry;
    SessionSlot(std::uint64_t sid, const Plugin::Entry *e) : session(sid), entry(e) {}
};

/** One reference to a SessionSlot; the last one to go deletes it. */
class SlotRef {
public:
    /** Adopts a reference already counted in `slot->refs`. */
    explicit SlotRef(SessionSlot *slot = nullptr) noexcept : slot_(slot) {}
    SlotRef(SlotRef &&other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    SlotRef &operator=(SlotRef &&other) noexcept {
        if (this != &other) {
            reset();
            slot_ = std::exchange(other.slot_, nullptr);
        }
        return *this;
    }
    SlotRef(const SlotRef &) = delete;
    SlotRef &operator=(const SlotRef &) = delete;
    ~SlotRef() { reset(); }

    SessionSlot *get() const noexcept { return slot_; }
    SessionSlot *operator->() const noexcept { return slot_; }
    explicit operator bool() const noexcept { return slot_ != nullptr; }
    void reset() noexcept {
        if (slot_ != nullptr && slot_->refs.fetch_sub(1) == 1) delete slot_;
        slot_ = nullptr;
    }

private:
    SessionSlot *slot_;
};

/**
 * The open sessions: an intrusive list per bucket, a lock per bucket (so streams on
 * different threads do not share one), and a reference count in each slot.
 */
class Sessions {
public:
    SlotRef find(std::uint64_t sid) noexcept {
        Bucket &b = bucket(sid);
        std::lock_guard<SpinLock> lock(b.lock);
        return take_ref(locate(b, sid));
    }
    /** Lists a new session (the table takes a reference); false for a sid already open or once shutdown has begun. */
    bool add(SessionSlot *slot) noexcept {
        Bucket &b = bucket(slot->session.sid());
        std::lock_guard<SpinLock> lock(b.lock);
        if (host().stopping.load() || locate(b, slot->session.sid()) != nullptr) return false;
        slot->refs.fetch_add(1);
        slot->next = b.head;
        slot->listed = true;
        b.head = slot;
        return true;
    }
    void remove(std::uint64_t sid) noexcept {
        SlotRef gone;  // the table's reference, dropped after the lock
        Bucket &b = bucket(sid);
        std::lock_guard<SpinLock> lock(b.lock);
        for (SessionSlot **link = &b.head; *link != nullptr; link = &(*link)->next) {
            if ((*link)->session.sid() != sid) continue;
            SessionSlot *slot = *link;
            *link = slot->next;
            slot->listed = false;
            gone = SlotRef(slot);
            return;
        }
    }
    /** Any session still open; empty when none is left. */
    SlotRef any() noexcept {
        for (Bucket &b : buckets_) {
            std::lock_guard<SpinLock> lock(b.lock);
            if (b.head != nullptr) return take_ref(b.head);
        }
        return SlotRef();
    }

private:
    static constexpr std::size_t kBuckets = 64;
    struct alignas(kCacheLine) Bucket {
        SpinLock lock;
        SessionSlot *head = nullptr;
    };

    Bucket &bucket(std::uint64_t sid) noexcept {
        static_assert(kBuckets == 64, "a bucket is picked by the top 6 bits of a hash");
        return buckets_[(sid * UINT64_C(0x9E3779B97F4A7C15)) >> 58];
    }
    static SessionSlot *locate(const Bucket &b, std::uint64_t sid) noexcept {
        SessionSlot *slot = b.head;
        while (slot != nullptr && slot->session.sid() != sid) slot = slot->next;
        return slot;
    }
    static SlotRef take_ref(SessionSlot *slot) noexcept {
        if (slot != nullptr) slot->refs.fetch_add(1);
        return SlotRef(slot);
    }

    Bucket buckets_[kBuckets];
};

inline Sessions &sessions() {
    static Sessions *s = new Sessions();  // leaked on purpose, like workers()
    return *s;
}

inline void unlist_session(std::uint64_t sid) noexcept { sessions().remove(sid); }

/** Runs one callback of a stream inside a host call: its sends skip the shutdown gate meanwhile. */
template <typename F>
Status session_callback(Responder &res, F &&fn) noexcept {
    ResponderAccess::inside_host_call(res, true);
    Status status = guarded(res, std::forward<F>(fn));
    ResponderAccess::inside_host_call(res, false);
    return status;
}

inline NrStatus open_session(const Plugin::Entry &entry, const Request &req) {
    SlotRef slot(new SessionSlot(req.sid(), &entry));
    std::unique_lock<SpinLock> lock(slot->lock);  // held until the open handler returns
    if (!sessions().add(slot.get())) {
        ResponderAccess::reject(slot->session.responder());
        return NR_STATUS_INVALID;
    }
    Responder &res = slot->session.responder();
    Status status = session_callback(res, [&] { return entry.open ? entry.open(req, slot->session) : Status::Ok; });
    if (res.done() || ResponderAccess::sent(res) || status == Status::Ok) return NR_STATUS_OK;
    ResponderAccess::reject(res);  // rejected: nothing may follow
    sessions().remove(req.sid());
    return to_c(as_rejection(status));
}

inline NrStatus session_data(SessionSlot &slot, ByteView data) {
    Responder &res = slot.session.responder();
    if (res.done()) return NR_STATUS_INVALID;
    if (!slot.entry->on_data) return NR_STATUS_UNSUPPORTED;
    Status status = session_callback(res, [&] { return slot.entry->on_data(slot.session, data); });
    return to_c(status == Status::Ok ? status : as_rejection(status));
}

inline NrStatus session_close(SessionSlot &slot) {
    Responder &res = slot.session.responder();
    if (res.done()) return NR_STATUS_INVALID;
    Status status =
        session_callback(res, [&] { return slot.entry->on_close ? slot.entry->on_close(slot.session) : Status::Ok; });
    ResponderAccess::inside_host_call(res, true);  // the terminal frame, still inside stream_close
    if (status == Status::Ok || status == Status::StreamEnd) {
        res.end();
    } else {
        res.fail(status, "the stream was closed with an error");
    }
    ResponderAccess::inside_host_call(res, false);
    return NR_STATUS_OK;
}

/** Shutdown: every stream still open ends with Err. */
inline void end_all_sessions() noexcept {
    while (SlotRef slot = sessions().any()) {
        std::lock_guard<SpinLock> lock(slot->lock);
        slot->session.responder().fail(Status::Err, "the plugin shut down");
        sessions().remove(slot->session.sid());
    }
}

/* ---- the vtable ---- */

/** After a synchronous handler: what handle returns, and the Err a forgetful handler owes. */
inline NrStatus settle(Responder &res, Status status) noexcept {
    if (!ResponderAccess::owner(res) || res.done() || ResponderAccess::sent(res) || status == Status::Ok) {
        return NR_STATUS_OK;  // answered, moved to a background task, or answered Err by the destructor
    }
    ResponderAccess::reject(res);
    return to_c(as_rejection(status));
}

/** An entry name that routes nowhere: Unsupported, or Invalid when it is not even text. */
NR_PLUGIN_NOINLINE inline NrStatus unknown_entry(std::string_view name) noexcept {
    return utf8_valid(name) ? NR_STATUS_UNSUPPORTED : NR_STATUS_INVALID;
}

/** A call that does not run on the host's thread: a bidirectional stream, or work for the pool. */
NR_PLUGIN_NOINLINE inline NrStatus run_elsewhere(const Plugin::Entry &entry, std::uint64_t sid, const NrRequest *meta,
                                                 ByteView payload) noexcept {
    Request req(sid, entry.name, meta, payload);
    try {
        if (entry.kind == Kind::Bidi) return open_session(entry, req);
        auto call = std::make_unique<BackgroundCall>(entry, req, meta);
        Responder &res = call->responder_;
        std::unique_ptr<Task> task(std::move(call));
        if (workers().start(task)) return NR_STATUS_OK;
        ResponderAccess::reject(res);  // not started: the task, still ours, must send nothing
        return NR_STATUS_ERR;
    } catch (...) {
        return NR_STATUS_ERR;  // out of memory before anything was sent
    }
}

/**
 * A synchronous call from start to end: the request (named by the entry's own copy of
 * the name) and its Responder on this stack, the handler behind try/catch, then what
 * handle returns. Kept apart from the routing, so that routing needs no frame of its own.
 */
NR_PLUGIN_NOINLINE inline NrStatus run_sync(const Plugin::Entry &entry, std::uint64_t sid, const NrRequest *meta,
                                            ByteView payload) noexcept {
    Request req(sid, entry.name, meta, payload);
    Responder res(sid, entry.kind, false);
    Status status;
    try {
        status = call_handler(entry, req, res);
    } catch (...) {
        res.fail(Status::Err, what(std::current_exception()));
        status = Status::Err;
    }
    return settle(res, status);
}

/** Runs the call `entry` names; every branch a tail call, so routing keeps no frame of its own. */
inline NrStatus run_entry(const Plugin::Entry *entry, std::string_view name, std::uint64_t sid, const NrRequest *meta,
                          NrBytes payload) noexcept {
    if (entry == nullptr) return unknown_entry(name);
    if (entry->kind == Kind::Bidi || entry->run == Run::Background) {
        return run_elsewhere(*entry, sid, meta, nylon_ring::view(payload));
    }
    return run_sync(*entry, sid, meta, nylon_ring::view(payload));
}

/** The general case: a name longer than 16 bytes, or one whose first probe found another name. */
NR_PLUGIN_NOINLINE inline NrStatus dispatch_probing(std::string_view name, std::uint64_t sid, const NrRequest *meta,
                                                    NrBytes payload) noexcept {
    return run_entry(plugin_slot()->find(name), name, sid, meta, payload);
}

/** handle and handle_raw once their own checks are done. */
inline NrStatus dispatch(NrStr name, std::uint64_t sid, const NrRequest *meta, NrBytes payload) noexcept {
    const Plugin *plugin = plugin_slot();
    if (plugin == nullptr || !host().live.load(std::memory_order_acquire) ||
        host().stopping.load(std::memory_order_relaxed)) {
        return NR_STATUS_ERR;
    }
    if (!str_ok(name) || !bytes_ok(payload)) return NR_STATUS_INVALID;
    std::string_view entry_name = nylon_ring::view(name);
    const Plugin::Entry *entry;
    if (entry_name.size() > 16 || !plugin->find_first(entry_name, &entry)) {
        return dispatch_probing(entry_name, sid, meta, payload);
    }
    return run_entry(entry, entry_name, sid, meta, payload);
}

inline NrStatus plugin_init(void *, void *ctx, const NrHostVTable *vtable) noexcept {
    const Plugin *plugin = plugin_slot();
    if (vtable == nullptr || vtable->send_result == nullptr) return NR_STATUS_INVALID;
    if (plugin == nullptr) return NR_STATUS_ERR;  // defining the plugin threw
    host().ctx = ctx;
    host().send = vtable->send_result;
    host().stopping.store(false);
    host().live.store(true);
    if (!plugin->init_hook()) return NR_STATUS_OK;
    Status status;
    try {
        status = plugin->init_hook()();
    } catch (...) {
        status = Status::Err;
    }
    if (status == Status::Ok) return NR_STATUS_OK;
    host().live.store(false);
    return to_c(as_rejection(status));
}

inline NrStatus plugin_handle(void *, NrStr entry, std::uint64_t sid, const NrRequest *req, NrBytes payload) noexcept {
    if (!request_ok(req)) return NR_STATUS_INVALID;
    return dispatch(entry, sid, req, payload);
}

inline NrStatus plugin_handle_raw(void *, NrStr entry, std::uint64_t sid, NrBytes payload) noexcept {
    return dispatch(entry, sid, nullptr, payload);
}

inline void plugin_shutdown(void *) noexcept {
    host().stopping.store(true);
    workers().join_all();
    end_all_sessions();
    const Plugin *plugin = plugin_slot();
    if (plugin != nullptr && plugin->shutdown_hook() && host().live.load()) {
        try {
            plugin->shutdown_hook()();
        } catch (...) {
            // nothing to answer: shutdown goes on
        }
    }
    close_gate();
}

inline NrStatus plugin_stream_data(void *, std::uint64_t sid, NrBytes data) noexcept {
    if (!bytes_ok(data)) return NR_STATUS_INVALID;
    try {
        SlotRef slot = sessions().find(sid);
        if (!slot) return NR_STATUS_INVALID;
        std::lock_guard<SpinLock> lock(slot->lock);
        return session_data(*slot.get(), nylon_ring::view(data));
    } catch (...) {
        return NR_STATUS_ERR;
    }
}

inline NrStatus plugin_stream_close(void *, std::uint64_t sid) noexcept {
    try {
        SlotRef slot = sessions().find(sid);
        if (!slot) return NR_STATUS_INVALID;
        std::lock_guard<SpinLock> lock(slot->lock);
        return session_close(*slot.get());
    } catch (...) {
        return NR_STATUS_ERR;
    }
}

/** The plugin info, built once: the NYLON_RING_PLUGIN body runs here. */
inline const NrPluginInfo *plugin_info(const char *name, const char *version, void (*define)(Plugin &)) noexcept {
    static const NrPluginVTable vtable = {plugin_init,     plugin_handle,      plugin_handle_raw,
                                          plugin_shutdown, plugin_stream_data, plugin_stream_close};
    static NrPluginInfo info{};
    static std::once_flag once;
    try {
        std::call_once(once, [&] {
            auto *plugin = new Plugin(name, version);  // lives as long as the process
            info = nylon_ring::make_plugin_info(NR_ABI_VERSION, static_cast<std::uint32_t>(sizeof(NrPluginInfo)),
                                                plugin->name(), plugin->version(), nullptr, &vtable);
            define(*plugin);
            plugin_slot() = plugin;  // a throwing definition leaves no plugin: init fails
        });
    } catch (...) {
        // out of memory, or the definition threw: the info is returned as it is
    }
    return &info;
}

inline void set_host_ext(const NrHostExt *ext) noexcept { host().ext.store(ext); }

}  // namespace detail
}  // namespace nylon_ring::sdk

/**
 * Defines the plugin and its exported symbols; the block that follows fills in VAR
 * (a nylon_ring::sdk::Plugin&). Use it in exactly one source file.
 */
#define NYLON_RING_PLUGIN(NAME, VERSION, VAR)                                                       \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR);                                  \
    extern "C" NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {                       \
        return ::nylon_ring::sdk::detail::plugin_info(NAME, VERSION, nr_plugin_define_);            \
    }                                                                                               \
    extern "C" NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) {                    \
        ::nylon_ring::sdk::detail::set_host_ext(ext);                                               \
    }                                                                                               \
    NR_DEFINE_LAYOUT_PROBE()                                                                        \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR)

#endif /* NR_PLUGIN_HPP */
