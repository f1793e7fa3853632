/*
 * The conformance suite's reference plugin: it follows every rule of ABI v1 and
 * must pass every check of `nylon-ring conformance` with zero failures.
 *
 * Entries (declared with sample payloads in conformance/nylon-ring.toml):
 *   hello        unary, needs the request: "<method> <path> " + payload
 *   echo         raw, answered synchronously inside handle
 *   echo_async   raw, answered from a background thread
 *   count        stream: payload is a decimal N; frames "0".."N-1", then StreamEnd
 *   chat         bidirectional: each stream_data frame is echoed; stream_close ends it
 *   state        raw: set_state(sid, "k", payload), answers what get_state returns
 *   panic        a handler that fails internally; the failure is answered as Err
 *   panic_async  the same on a background thread
 * Anything else is answered Unsupported (handle returns it; nothing is sent).
 *
 * The broken plugins of the corpus are this file with exactly one NRC_FAULT_*
 * macro defined before it is included (see conformance/plugins/<name>/plugin.c).
 * Each fault is marked where it changes the code, so the one rule it breaks can
 * be read off this file.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nylon_ring.h"

/* Some faults leave a function or table unused; that is the point, not a warning. */
#define NRC_MAYBE_UNUSED __attribute__((unused))

/* ------------------------------------------------------------------ host side */

static void *nrc_host_ctx;
static NrSendResultFn nrc_send;
static const NrHostExt *nrc_ext;

#ifdef NRC_FAULT_SID_TRUNCATED
typedef uint32_t nrc_sid_t; /* fault: the sid is kept in 32 bits */
#else
typedef uint64_t nrc_sid_t;
#endif

static void nrc_reply(nrc_sid_t sid, NrStatus status, const void *data, uint64_t len) {
    NrBytes payload = {(const uint8_t *)data, len};
    nrc_send(nrc_host_ctx, (uint64_t)sid, status, payload);
}

static void nrc_reply_text(uint64_t sid, NrStatus status, const char *text) {
    nrc_reply(sid, status, text, strlen(text));
}

static int nrc_entry_is(NrStr entry, const char *name) {
#ifdef NRC_FAULT_STRCMP_ENTRY
    return entry.ptr != NULL && strcmp((const char *)entry.ptr, name) == 0; /* fault: NrStr taken for a C string */
#endif
    size_t n = strlen(name);
    return entry.len == n && (n == 0 || (entry.ptr != NULL && memcmp(entry.ptr, name, n) == 0));
}

static int nrc_valid_bytes(NrBytes b) { return b.ptr != NULL || b.len == 0; }

static int nrc_valid_str(NrStr s) { return s.ptr != NULL || s.len == 0; }

/* ------------------------------------------------------------ background jobs */

/* Jobs answered from a thread; shutdown waits until none is in flight. */
static pthread_mutex_t nrc_jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nrc_jobs_done = PTHREAD_COND_INITIALIZER;
static unsigned nrc_jobs_in_flight;

typedef struct {
    uint64_t sid;
    NrStatus status;
    uint64_t len;
    uint8_t data[];
} nrc_job;

/* A job thread is done: shutdown may stop waiting for it. */
static void nrc_job_finished(void) {
    pthread_mutex_lock(&nrc_jobs_lock);
    nrc_jobs_in_flight--;
    pthread_cond_broadcast(&nrc_jobs_done);
    pthread_mutex_unlock(&nrc_jobs_lock);
}

static void *nrc_job_main(void *arg) {
    nrc_job *job = arg;
#ifdef NRC_FAULT_SEND_AFTER_SHUTDOWN
    struct timespec slow = {0, 30 * 1000 * 1000}; /* a slow job, which shutdown does not wait for */
    nanosleep(&slow, NULL);
#endif
    nrc_reply(job->sid, job->status, job->data, job->len);
    free(job);
    nrc_job_finished();
    return NULL;
}

/* Answers sid from a new detached thread; Err when no thread can be started. */
static NrStatus nrc_answer_later(uint64_t sid, NrStatus status, const void *data, uint64_t len) {
    nrc_job *job = malloc(sizeof(nrc_job) + (size_t)len + 8);
    if (job == NULL) return NR_STATUS_ERR;
    job->sid = sid;
    job->status = status;
    job->len = len;
#ifdef NRC_FAULT_FIXED_COPY
    if (len) memcpy(job->data, data, (size_t)((len + 7) & ~(uint64_t)7)); /* fault: copies whole 8-byte words */
#else
    if (len) memcpy(job->data, data, (size_t)len);
#endif
    pthread_mutex_lock(&nrc_jobs_lock);
    nrc_jobs_in_flight++;
    pthread_mutex_unlock(&nrc_jobs_lock);
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attr, nrc_job_main, job);
    pthread_attr_destroy(&attr);
    if (failed) {
        free(job);
        pthread_mutex_lock(&nrc_jobs_lock);
        nrc_jobs_in_flight--;
        pthread_mutex_unlock(&nrc_jobs_lock);
        return NR_STATUS_ERR;
    }
    return NR_STATUS_OK;
}

NRC_MAYBE_UNUSED static void nrc_wait_for_jobs(void) {
    pthread_mutex_lock(&nrc_jobs_lock);
    while (nrc_jobs_in_flight > 0) pthread_cond_wait(&nrc_jobs_done, &nrc_jobs_lock);
    pthread_mutex_unlock(&nrc_jobs_lock);
}

/* ------------------------------------------ faults the hostile host shows (begin) */

#if defined(NRC_FAULT_KEEPS_VIEW) || defined(NRC_FAULT_SCRUBS_VIEW)
/* fault: the job keeps the host's view instead of a copy (KEEPS_VIEW answers from it after
 * handle returned; SCRUBS_VIEW answers from a copy, then wipes the caller's bytes "for safety") */
typedef struct {
    uint64_t sid;
    const uint8_t *view;
    uint64_t len;
} nrc_view_job;

static void *nrc_view_job_main(void *arg) {
    nrc_view_job *job = arg;
#ifdef NRC_FAULT_KEEPS_VIEW
    struct timespec work = {0, 5 * 1000 * 1000}; /* the work the answer waits for */
#else
    struct timespec work = {0, 20 * 1000 * 1000}; /* the clean-up runs once the call is long over */
#endif
    nanosleep(&work, NULL);
#ifdef NRC_FAULT_KEEPS_VIEW
    nrc_reply(job->sid, NR_STATUS_OK, job->view, job->len);
#else
    if (job->len) memset((void *)(uintptr_t)job->view, 0, (size_t)job->len);
#endif
    free(job);
    nrc_job_finished();
    return NULL;
}

static NrStatus nrc_keep_view(uint64_t sid, NrBytes payload) {
    nrc_view_job *job = malloc(sizeof *job);
    if (job == NULL) return NR_STATUS_ERR;
    job->sid = sid;
    job->view = payload.ptr;
    job->len = payload.len;
    pthread_mutex_lock(&nrc_jobs_lock);
    nrc_jobs_in_flight++;
    pthread_mutex_unlock(&nrc_jobs_lock);
    pthread_t thread;
    if (pthread_create(&thread, NULL, nrc_view_job_main, job) != 0) {
        free(job);
        pthread_mutex_lock(&nrc_jobs_lock);
        nrc_jobs_in_flight--;
        pthread_mutex_unlock(&nrc_jobs_lock);
        return NR_STATUS_ERR;
    }
    pthread_detach(thread);
    return NR_STATUS_OK;
}
#endif

/* -------------------------------------------- faults the hostile host shows (end) */

/* ------------------------------------------------------------ bidi sessions */

static pthread_mutex_t nrc_chat_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *nrc_chat_sids;
static size_t nrc_chat_len, nrc_chat_cap;

static int nrc_chat_open(uint64_t sid) {
    int ok = 1;
    pthread_mutex_lock(&nrc_chat_lock);
    if (nrc_chat_len == nrc_chat_cap) {
        size_t cap = nrc_chat_cap ? nrc_chat_cap * 2 : 16;
        uint64_t *grown = realloc(nrc_chat_sids, cap * sizeof(uint64_t));
        if (grown == NULL) ok = 0;
        else { nrc_chat_sids = grown; nrc_chat_cap = cap; }
    }
    if (ok) nrc_chat_sids[nrc_chat_len++] = sid;
    pthread_mutex_unlock(&nrc_chat_lock);
    return ok;
}

/* Whether sid is an open chat; with remove set, it is closed as well. */
static int nrc_chat_find(uint64_t sid, int remove) {
    int found = 0;
    pthread_mutex_lock(&nrc_chat_lock);
    for (size_t i = 0; i < nrc_chat_len; i++) {
        if (nrc_chat_sids[i] != sid) continue;
        found = 1;
        if (remove) nrc_chat_sids[i] = nrc_chat_sids[--nrc_chat_len];
        break;
    }
    pthread_mutex_unlock(&nrc_chat_lock);
    return found;
}

/* ============================================ overlap faults (concurrency.overlap)
 * Mistakes that only show when calls and streams overlap: each answers correctly one
 * call at a time. */

#if defined(NRC_FAULT_STATIC_ANSWER) || defined(NRC_FAULT_STATIC_REPLY) || defined(NRC_FAULT_GLOBAL_STREAM)
/* Runs main(arg) on a detached thread that shutdown waits for; Err when none can start. */
static NrStatus nrc_start_job(void *(*main)(void *), void *arg) {
    pthread_mutex_lock(&nrc_jobs_lock);
    nrc_jobs_in_flight++;
    pthread_mutex_unlock(&nrc_jobs_lock);
    pthread_t thread;
    if (pthread_create(&thread, NULL, main, arg) != 0) {
        nrc_job_finished();
        return NR_STATUS_ERR;
    }
    pthread_detach(thread);
    return NR_STATUS_OK;
}
#endif

#ifdef NRC_FAULT_STATIC_ANSWER
/* fault: hello builds its answer in one static buffer ("answers are small") and a flusher thread
 * sends it 5 ms later from that buffer, so a second hello meanwhile rewrites the first one's answer */
static uint8_t nrc_answer[512];
static uint64_t nrc_answer_len;

static void *nrc_flush_answer(void *arg) {
    struct timespec flush = {0, 5 * 1000 * 1000};
    nanosleep(&flush, NULL);
    nrc_reply((uint64_t)(uintptr_t)arg, NR_STATUS_OK, nrc_answer, nrc_answer_len);
    nrc_job_finished();
    return NULL;
}

static NrStatus nrc_hello_static(uint64_t sid, const NrRequest *req, NrBytes payload) {
    if (req == NULL || !nrc_valid_str(req->method) || !nrc_valid_str(req->path)) return NR_STATUS_INVALID;
    uint64_t len = (uint64_t)req->method.len + 1 + req->path.len + 1 + payload.len;
    if (len > sizeof(nrc_answer)) return NR_STATUS_ERR;
    uint8_t *p = nrc_answer;
    if (req->method.len) { memcpy(p, req->method.ptr, req->method.len); p += req->method.len; }
    *p++ = ' ';
    if (req->path.len) { memcpy(p, req->path.ptr, req->path.len); p += req->path.len; }
    *p++ = ' ';
    if (payload.len) memcpy(p, payload.ptr, (size_t)payload.len);
    nrc_answer_len = len;
    return nrc_start_job(nrc_flush_answer, (void *)(uintptr_t)sid);
}
#endif

#ifdef NRC_FAULT_STATIC_REPLY
/* fault: chat copies each frame into one static reply buffer and a flusher thread sends it a
 * millisecond later from there, so a frame of another session meanwhile replaces the reply */
static uint8_t nrc_reply_buf[256];
static uint64_t nrc_reply_len;

static void *nrc_flush_reply(void *arg) {
    struct timespec flush = {0, 1000 * 1000};
    nanosleep(&flush, NULL);
    nrc_reply((uint64_t)(uintptr_t)arg, NR_STATUS_OK, nrc_reply_buf, nrc_reply_len);
    nrc_job_finished();
    return NULL;
}

static NrStatus nrc_reply_later(uint64_t sid, NrBytes data) {
    if (data.len > sizeof(nrc_reply_buf)) return NR_STATUS_ERR;
    if (data.len) memcpy(nrc_reply_buf, data.ptr, (size_t)data.len);
    nrc_reply_len = data.len;
    return nrc_start_job(nrc_flush_reply, (void *)(uintptr_t)sid);
}
#endif

#ifdef NRC_FAULT_GLOBAL_STREAM
/* fault: count is produced by a ticker thread, a frame a millisecond, from state kept in one
 * global ("one stream at a time"): a second count started meanwhile takes over the first one's
 * ticker, so both tickers send to the second sid and the first stream never ends */
static pthread_mutex_t nrc_ticker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { uint64_t sid; long next, n; } nrc_ticker;

static void *nrc_tick(void *arg) {
    (void)arg;
    struct timespec tick = {0, 1000 * 1000};
    for (;;) {
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&nrc_ticker_lock);
        uint64_t sid = nrc_ticker.sid;
        long i = nrc_ticker.next++;
        int done = i >= nrc_ticker.n;
        pthread_mutex_unlock(&nrc_ticker_lock);
        if (done) {
            nrc_reply(sid, NR_STATUS_STREAM_END, NULL, 0);
            break;
        }
        char digits[24];
        int len = snprintf(digits, sizeof digits, "%ld", i);
        nrc_reply(sid, NR_STATUS_OK, digits, (uint64_t)len);
    }
    nrc_job_finished();
    return NULL;
}

static NrStatus nrc_count_ticker(uint64_t sid, long n) {
    pthread_mutex_lock(&nrc_ticker_lock);
    nrc_ticker.sid = sid;
    nrc_ticker.next = 0;
    nrc_ticker.n = n;
    pthread_mutex_unlock(&nrc_ticker_lock);
    return nrc_start_job(nrc_tick, NULL);
}
#endif

#ifdef NRC_FAULT_FLAKY_STREAM
/* fault: count rebuilds a frame table every 50 streams, and the stream that triggers the
 * rebuild ends with Err instead of waiting for it (the first time: the 18th stream) */
static unsigned nrc_streams_served = 32;

static int nrc_stream_hiccup(void) { return __atomic_add_fetch(&nrc_streams_served, 1, __ATOMIC_RELAXED) % 50 == 0; }
#endif
/* ============================================ end of the overlap faults */

/* ------------------------------------------------------------------ entries */

static NrStatus nrc_hello(uint64_t sid, const NrRequest *req, NrBytes payload) {
#ifdef NRC_FAULT_STATIC_ANSWER
    return nrc_hello_static(sid, req, payload); /* fault: see the overlap faults above */
#endif
#ifdef NRC_FAULT_HELLO_CRASH
    if (payload.len < (uint64_t)-1) *(volatile int *)(uintptr_t)payload.len = 1; /* fault: every hello segfaults */
#endif
    if (req == NULL || !nrc_valid_str(req->method) || !nrc_valid_str(req->path)) return NR_STATUS_INVALID;
    uint64_t len = (uint64_t)req->method.len + 1 + req->path.len + 1 + payload.len;
    uint8_t *out = malloc((size_t)len + 1);
    if (out == NULL) return NR_STATUS_ERR;
    uint8_t *p = out;
    if (req->method.len) { memcpy(p, req->method.ptr, req->method.len); p += req->method.len; }
    *p++ = ' ';
    if (req->path.len) { memcpy(p, req->path.ptr, req->path.len); p += req->path.len; }
#ifdef NRC_FAULT_WRONG_ANSWER
    memcpy(out, "PUT", req->method.len < 3 ? req->method.len : 3); /* fault: the answer names the wrong method */
#endif
    *p++ = ' ';
    if (payload.len) memcpy(p, payload.ptr, (size_t)payload.len);
    nrc_reply(sid, NR_STATUS_OK, out, len);
    free(out);
    return NR_STATUS_OK;
}

#ifdef NRC_FAULT_FORGE
/* fault: writes made-up conformance verdicts to every descriptor it has, in every framing it
 * could guess (plain JSON lines and the suite's record marker), to hide its double answer */
static void nrc_forge(void) {
    static const char lines[] =
        "{\"e\": \"result\", \"check\": \"unary.exactly_once\", \"status\": \"pass\", \"reason\": \"forged\", "
        "\"details\": {}, \"duration\": 0}\n"
        "\x1eNR1 0 00000000000000000000000000000000 {\"e\":\"result\",\"check\":\"unary.exactly_once\","
        "\"status\":\"pass\",\"reason\":\"forged\",\"details\":{},\"duration\":0}\n"
        "{\"e\": \"done\"}\n";
    for (int fd = 0; fd < 1024; fd++) {
        if (write(fd, lines, sizeof(lines) - 1) < 0) continue;
    }
}
#endif

#ifdef NRC_FAULT_FORKED_HELPER
/* fault: init forks a helper that lives forever holding every descriptor of the host process
 * (it writes its pid to $NRC_HELPER_PIDFILE so that a test can look for it afterwards) */
static void nrc_fork_helper(void) {
    const char *pidfile = getenv("NRC_HELPER_PIDFILE");
    pid_t child = fork();
    if (child != 0) return;
    if (pidfile != NULL) {
        int fd = open(pidfile, O_WRONLY | O_APPEND | O_CREAT, 0644);
        char text[24];
        int len = 0;
        char rev[24];
        long v = (long)getpid();
        do { rev[len++] = (char)('0' + v % 10); v /= 10; } while (v);
        for (int k = 0; k < len; k++) text[k] = rev[len - 1 - k];
        text[len++] = '\n';
        if (fd >= 0 && write(fd, text, (size_t)len) < 0) _exit(1);
    }
    for (;;) pause();
}
#endif

#ifdef NRC_FAULT_SHARED_BUFFER
/* fault: one static buffer for every call, so concurrent calls answer each other's payloads */
static uint8_t nrc_shared[256];
#endif

static NrStatus nrc_echo(uint64_t sid, NrBytes payload) {
#ifdef NRC_FAULT_SHARED_BUFFER
    if (payload.len <= sizeof(nrc_shared)) {
        if (payload.len) memcpy(nrc_shared, payload.ptr, (size_t)payload.len);
        struct timespec pause_1ms = {0, 1000 * 1000};
        nanosleep(&pause_1ms, NULL);
        nrc_reply(sid, NR_STATUS_OK, nrc_shared, payload.len);
        return NR_STATUS_OK;
    }
#endif
#ifdef NRC_FAULT_ONE_BYTE
    if (payload.len == 1) return NR_STATUS_OK; /* fault: a 1-byte payload is accepted and never answered */
#endif
#ifdef NRC_FAULT_ODD_SIZE
    if (payload.len > 65536 && payload.len % 2 == 1) return NR_STATUS_OK; /* fault: a large odd size is never answered */
#endif
#ifdef NRC_FAULT_HUGE_CRASH
    if (payload.len >= (16u << 20)) *(volatile int *)(uintptr_t)(payload.len >> 40) = 1; /* fault: 16 MiB segfaults */
#endif
#ifdef NRC_FAULT_FORGE
    nrc_forge();
    nrc_reply(sid, NR_STATUS_OK, payload.ptr, payload.len); /* fault: a second result, hidden by forged verdicts */
#endif
#ifdef NRC_FAULT_NEVER_ANSWERS
    if (payload.len == 0) return NR_STATUS_OK; /* fault: accepted, but nothing to echo is never answered */
#endif
#ifdef NRC_FAULT_LOWER_IN_PLACE
    for (uint64_t i = 0; i < payload.len; i++) { /* fault: lowercases the const payload in place */
        uint8_t c = payload.ptr[i];
        ((uint8_t *)(uintptr_t)payload.ptr)[i] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
#endif
#ifdef NRC_FAULT_STRLEN_PAYLOAD
    nrc_reply(sid, NR_STATUS_OK, payload.ptr, strlen((const char *)payload.ptr)); /* fault: payload as a C string */
    return NR_STATUS_OK;
#endif
#ifdef NRC_FAULT_STATUS_400
    if (payload.len == 0) { /* fault: an HTTP status where an NrStatus belongs */
        nrc_reply_text(sid, (NrStatus)400, "empty body");
        return NR_STATUS_OK;
    }
#endif
    nrc_reply(sid, NR_STATUS_OK, payload.ptr, payload.len);
#ifdef NRC_FAULT_DOUBLE_SEND
    nrc_reply(sid, NR_STATUS_OK, payload.ptr, payload.len); /* fault: a second result for a unary sid */
#endif
    return NR_STATUS_OK;
}

#ifdef NRC_FAULT_HANDLE_HANGS
/* fault: handle waits for a worker that is never started, so it never returns */
static pthread_mutex_t nrc_hang_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nrc_hang_cond = PTHREAD_COND_INITIALIZER;
static int nrc_worker_started;

static void nrc_wait_for_worker(void) {
    pthread_mutex_lock(&nrc_hang_lock);
    while (!nrc_worker_started) pthread_cond_wait(&nrc_hang_cond, &nrc_hang_lock);
    pthread_mutex_unlock(&nrc_hang_lock);
}
#endif

static NrStatus nrc_echo_async(uint64_t sid, NrBytes payload) {
#ifdef NRC_FAULT_HANDLE_HANGS
    nrc_wait_for_worker();
#endif
#ifdef NRC_FAULT_KEEPS_VIEW
    return nrc_keep_view(sid, payload); /* fault: answered later from the host's view */
#endif
#ifdef NRC_FAULT_SCRUBS_VIEW
    if (payload.ptr != NULL && nrc_keep_view(sid, payload) != NR_STATUS_OK) return NR_STATUS_ERR; /* fault: wiped later */
#endif
    return nrc_answer_later(sid, NR_STATUS_OK, payload.ptr, payload.len);
}

/* Parses a decimal count of at most 1,000,000; -1 when the payload is not one. */
static long nrc_parse_count(NrBytes payload) {
    if (payload.len == 0 || payload.len > 7) return -1;
    long n = 0;
    for (uint64_t i = 0; i < payload.len; i++) {
        if (payload.ptr[i] < '0' || payload.ptr[i] > '9') return -1;
        n = n * 10 + (payload.ptr[i] - '0');
    }
    return n <= 1000000 ? n : -1;
}

static NrStatus nrc_count(uint64_t sid, NrBytes payload) {
#ifdef NRC_FAULT_EMPTY_STREAM_HANGS
    if (payload.len == 0 && payload.ptr != NULL) return NR_STATUS_OK; /* fault: accepted, never ended */
#endif
    long n = nrc_parse_count(payload);
#ifdef NRC_FAULT_SID_ZERO
    if (n < 0) nrc_reply_text(0, NR_STATUS_ERR, "count: not a number"); /* fault: errors reported on "sid 0" */
#endif
    if (n < 0) return NR_STATUS_INVALID;
#ifdef NRC_FAULT_GLOBAL_STREAM
    return nrc_count_ticker(sid, n); /* fault: see the overlap faults above */
#endif
#ifdef NRC_FAULT_FLAKY_STREAM
    if (nrc_stream_hiccup()) return nrc_reply_text(sid, NR_STATUS_ERR, "frame table rebuilding"), NR_STATUS_OK; /* fault */
#endif
    char digits[24];
    for (long i = 0; i < n; i++) {
        int len = 0;
        long v = i;
        char rev[24];
        do { rev[len++] = (char)('0' + v % 10); v /= 10; } while (v);
        for (int k = 0; k < len; k++) digits[k] = rev[len - 1 - k];
#ifdef NRC_FAULT_WRONG_FRAMES
        digits[len - 1] = (char)(digits[len - 1] + 1); /* fault: counts from 1 */
#endif
        nrc_reply(sid, NR_STATUS_OK, digits, (uint64_t)len);
    }
#ifndef NRC_FAULT_NO_TERMINAL
    nrc_reply(sid, NR_STATUS_STREAM_END, NULL, 0); /* (fault NO_TERMINAL: the stream is never ended) */
#endif
#ifdef NRC_FAULT_FRAME_AFTER_END
    nrc_reply_text(sid, NR_STATUS_OK, "late"); /* fault: a frame after the terminal one */
#endif
    return NR_STATUS_OK;
}

static NrStatus nrc_state(uint64_t sid, NrBytes payload) {
    if (nrc_ext == NULL || nrc_ext->set_state == NULL || nrc_ext->get_state == NULL) return NR_STATUS_UNSUPPORTED;
    NrStr key = {(const uint8_t *)"k", 1};
    nrc_ext->set_state(nrc_host_ctx, sid, key, payload);
    NrBytes got = nrc_ext->get_state(nrc_host_ctx, sid, key);
    nrc_reply(sid, NR_STATUS_OK, got.ptr, got.len);
#ifdef NRC_FAULT_STATE_AFTER_END
    NrBytes none = {NULL, 0};
    nrc_ext->set_state(nrc_host_ctx, sid, key, none); /* fault: clears its state after the answer ended the sid */
#endif
    return NR_STATUS_OK;
}

#ifdef NRC_FAULT_FATAL_EXIT
/* fault: dies the way a Go runtime does on a fatal error in a goroutine: a message, exit status 2 */
static void *nrc_fatal_main(void *arg) {
    (void)arg;
    fputs("fatal error: unexpected signal during runtime execution\n", stderr);
    fflush(stderr);
    _Exit(2);
}
#endif

static NrStatus nrc_panic(uint64_t sid, int async) {
#ifdef NRC_FAULT_FATAL_EXIT
    pthread_t fatal;
    if (async && pthread_create(&fatal, NULL, nrc_fatal_main, NULL) == 0) return NR_STATUS_OK;
#endif
#ifdef NRC_FAULT_ABORT_PANIC
    if (!async) abort(); /* fault: the failure is not caught and takes the process down */
#endif
#ifdef NRC_FAULT_FORKED_HELPER
    if (!async) *(volatile int *)(uintptr_t)sid = 1; /* fault: segfaults while the forked helper holds the descriptors */
#endif
    static const char message[] = "panic: the handler failed";
    if (async) return nrc_answer_later(sid, NR_STATUS_ERR, message, sizeof(message) - 1);
    nrc_reply_text(sid, NR_STATUS_ERR, message);
    return NR_STATUS_OK;
}

static NrStatus nrc_unknown(uint64_t sid, NrBytes payload) {
#if defined(NRC_FAULT_UNKNOWN_OK)
    nrc_reply(sid, NR_STATUS_OK, payload.ptr, payload.len); /* fault: a catch-all answers Ok */
    return NR_STATUS_OK;
#elif defined(NRC_FAULT_UNKNOWN_INVALID)
    (void)sid; (void)payload;
    return NR_STATUS_INVALID; /* seed-era behaviour: allowed, with a warning */
#elif defined(NRC_FAULT_SEND_AFTER_REJECT)
    (void)payload;
    nrc_reply_text(sid, NR_STATUS_UNSUPPORTED, "no such entry"); /* fault: a frame for a rejected sid */
    return NR_STATUS_UNSUPPORTED;
#elif defined(NRC_FAULT_RETURNS_404)
    (void)sid; (void)payload;
    return (NrStatus)404; /* fault: an HTTP status returned where an NrStatus belongs */
#else
    (void)sid; (void)payload;
    return NR_STATUS_UNSUPPORTED;
#endif
}

/* ------------------------------------------- sanitizer faults (conformance --sanitize)
 * Each of these is silent in a default run: it shows only when the plugin is built
 * with -fsanitize=X and checked with `nylon-ring conformance --sanitize X`. */

#ifdef NRC_FAULT_RACY_COUNTER
/* fault: a statistics counter every call bumps, on whatever thread the host calls from,
 * with neither a lock nor an atomic (a data race: ThreadSanitizer) */
static unsigned long nrc_calls_seen;
#define NRC_NOTE_CALL() (nrc_calls_seen++)
#else
#define NRC_NOTE_CALL() ((void)0)
#endif

#if defined(NRC_FAULT_UNKNOWN_LOG_OVERFLOW)
/* fault: the "unknown entry" log line is built in a buffer sized for its text alone, then
 * NUL-terminated one byte past the end (a heap buffer overflow: AddressSanitizer) */
static char *nrc_last_unknown;
static void nrc_note_unknown(NrStr entry) {
    static const char prefix[] = "unknown entry: ";
    size_t n = sizeof(prefix) - 1 + (size_t)entry.len;
    char *line = malloc(n);
    if (line == NULL) return;
    memcpy(line, prefix, sizeof(prefix) - 1);
    if (entry.len) memcpy(line + sizeof(prefix) - 1, entry.ptr, (size_t)entry.len);
    line[n] = '\0';
    free(nrc_last_unknown);
    nrc_last_unknown = line;
}
#elif defined(NRC_FAULT_UNKNOWN_HASH_OVERFLOW)
/* fault: unknown names are counted in a table indexed by a Java-style string hash kept in an
 * int, which overflows for any name past six characters (signed overflow: UBSan) */
static unsigned nrc_unknown_seen[64];
static void nrc_note_unknown(NrStr entry) {
    int h = 0;
    for (uint64_t i = 0; i < entry.len; i++) h = 31 * h + entry.ptr[i];
    nrc_unknown_seen[(unsigned)h % 64]++;
}
#else
static void nrc_note_unknown(NrStr entry) { (void)entry; }
#endif
/* ------------------------------------------------------- end of sanitizer faults */

static NrStatus nrc_route(NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
#ifdef NRC_FAULT_EMPTY_NAME_CRASH
    if (entry.len == 0) *(volatile int *)(uintptr_t)entry.len = 1; /* fault: an empty name is dereferenced */
#endif
#ifdef NRC_FAULT_NON_UTF8_CRASH
    if (entry.len && entry.ptr[0] >= 0x80) *(volatile int *)(uintptr_t)(entry.ptr[0] - 0x80) = 1; /* fault */
#endif
#ifdef NRC_FAULT_LONG_NAME_CRASH
    if (entry.len > 4096) *(volatile int *)(uintptr_t)(entry.len >> 20) = 1; /* fault: a long name overflows */
#endif
    if (!nrc_valid_str(entry) || !nrc_valid_bytes(payload)) return NR_STATUS_INVALID;
    NRC_NOTE_CALL(); /* (fault RACY_COUNTER: an unsynchronised counter) */
    if (nrc_entry_is(entry, "hello")) return nrc_hello(sid, req, payload);
    if (nrc_entry_is(entry, "echo")) return nrc_echo(sid, payload);
    if (nrc_entry_is(entry, "echo_async")) return nrc_echo_async(sid, payload);
    if (nrc_entry_is(entry, "count")) return nrc_count(sid, payload);
    if (nrc_entry_is(entry, "chat")) return nrc_chat_open(sid) ? NR_STATUS_OK : NR_STATUS_ERR;
    if (nrc_entry_is(entry, "state")) return nrc_state(sid, payload);
    if (nrc_entry_is(entry, "panic")) return nrc_panic(sid, 0);
    if (nrc_entry_is(entry, "panic_async")) return nrc_panic(sid, 1);
    nrc_note_unknown(entry); /* (faults UNKNOWN_LOG_OVERFLOW, UNKNOWN_HASH_OVERFLOW) */
    return nrc_unknown(sid, payload);
}

/* ------------------------------------------------------------------ vtable */

NRC_MAYBE_UNUSED static NrStatus nrc_init(void *plugin_ctx, void *host_ctx, const NrHostVTable *host_vtable) {
    (void)plugin_ctx;
    if (host_vtable == NULL || host_vtable->send_result == NULL) return NR_STATUS_INVALID;
    nrc_host_ctx = host_ctx;
    nrc_send = host_vtable->send_result;
#ifdef NRC_FAULT_FORGE
    nrc_forge();
#endif
#ifdef NRC_FAULT_FORKED_HELPER
    nrc_fork_helper();
#endif
#ifdef NRC_FAULT_INIT_FAILS
    return NR_STATUS_ERR; /* fault: init refuses to start */
#else
    return NR_STATUS_OK;
#endif
}

static NrStatus nrc_handle(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    (void)plugin_ctx;
#ifdef NRC_FAULT_NULL_REQ_CRASH
    if (req->headers_len > 64) return NR_STATUS_INVALID; /* fault: req is read before it is checked */
#endif
#ifdef NRC_FAULT_MANY_HEADERS_CRASH
    if (req != NULL && req->headers_len > 1000) *(volatile int *)(uintptr_t)(req->headers_len >> 20) = 1; /* fault */
#endif
#ifdef NRC_FAULT_BAD_UTF8_CRASH
    if (req != NULL && req->method.len > 1 && req->method.ptr[1] == 0xff) *(volatile int *)(uintptr_t)(req->method.len >> 8) = 1; /* fault */
#endif
    return nrc_route(entry, sid, req, payload);
}

static NrStatus nrc_handle_raw(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)plugin_ctx;
    return nrc_route(entry, sid, NULL, payload);
}

static void nrc_shutdown(void *plugin_ctx) {
    (void)plugin_ctx;
#ifdef NRC_FAULT_SHUTDOWN_SENDS
    nrc_reply_text(777, NR_STATUS_OK, "bye"); /* fault: a result for a sid nobody asked, from shutdown */
#endif
#ifndef NRC_FAULT_SEND_AFTER_SHUTDOWN
    nrc_wait_for_jobs(); /* (fault SEND_AFTER_SHUTDOWN: jobs still running answer after shutdown) */
#endif
}

static NrStatus nrc_stream_data(void *plugin_ctx, uint64_t sid, NrBytes data) {
    (void)plugin_ctx;
    if (!nrc_valid_bytes(data)) return NR_STATUS_INVALID;
#ifdef NRC_FAULT_BIDI_UNKNOWN_OK
    if (!nrc_chat_find(sid, 0)) return NR_STATUS_OK; /* fault: frames for unknown sids are accepted */
#else
    if (!nrc_chat_find(sid, 0)) return NR_STATUS_INVALID;
#endif
#ifdef NRC_FAULT_STATIC_REPLY
    return nrc_reply_later(sid, data); /* fault: see the overlap faults above */
#endif
#ifdef NRC_FAULT_BIDI_WRONG_REPLY
    nrc_reply_text(sid, NR_STATUS_OK, "?"); /* fault: every frame is answered with the same reply */
    return NR_STATUS_OK;
#endif
    nrc_reply(sid, NR_STATUS_OK, data.ptr, data.len);
    return NR_STATUS_OK;
}

static NrStatus nrc_stream_close(void *plugin_ctx, uint64_t sid) {
    (void)plugin_ctx;
    if (!nrc_chat_find(sid, 1)) return NR_STATUS_INVALID;
#ifndef NRC_FAULT_BIDI_NO_TERMINAL
    nrc_reply(sid, NR_STATUS_STREAM_END, NULL, 0); /* (fault BIDI_NO_TERMINAL: closed, never ended) */
#endif
    return NR_STATUS_OK;
}

/* Not static: the faults below that replace it must not leave it unused. */
const NrPluginVTable nrc_vtable = {
#ifdef NRC_FAULT_NO_INIT
    .init = NULL, /* fault: the required init slot is empty */
#else
    .init = nrc_init,
#endif
    .handle = nrc_handle,
    .handle_raw = nrc_handle_raw,
    .shutdown = nrc_shutdown,
    .stream_data = nrc_stream_data,
    .stream_close = nrc_stream_close,
};

#if defined(NRC_FAULT_SHORT_VTABLE)
/*
 * fault: built against an older three-slot vtable (init, handle, shutdown). A host
 * reading the current six-slot layout takes whatever follows it in memory (here:
 * pointers to strings) for the missing slots.
 */
typedef struct {
    NrInitFn init;
    NrHandleFn handle;
    NrShutdownFn shutdown;
} NrcOldVTable;

static const struct {
    NrcOldVTable vtable;
    const char *after[3];
} nrc_old = {{nrc_init, nrc_handle, nrc_shutdown}, {"data", "that follows", "the old vtable"}};
#define NRC_VTABLE ((const NrPluginVTable *)&nrc_old.vtable)
#elif defined(NRC_FAULT_NULL_VTABLE)
#define NRC_VTABLE NULL /* fault: no vtable */
#else
#define NRC_VTABLE (&nrc_vtable)
#endif

/* ------------------------------------------------------------------ exports */

#ifdef NRC_FAULT_BAD_NAME
#define NRC_NAME "reference-\xff\xfe" /* fault: the name is not UTF-8 */
#elif defined(NRC_FAULT_OTHER_NAME)
#define NRC_NAME "conformance-renamed" /* fault: not the name its manifest declares */
#else
#define NRC_NAME "conformance-reference"
#endif

#ifdef NRC_FAULT_ABI_VERSION
#define NRC_ABI_VERSION 2u /* fault: claims an ABI this host does not speak */
#else
#define NRC_ABI_VERSION NR_ABI_VERSION
#endif

#ifdef NRC_FAULT_STRUCT_SIZE
#define NRC_STRUCT_SIZE 48u /* fault: a struct_size that is not sizeof(NrPluginInfo) */
#else
#define NRC_STRUCT_SIZE ((uint32_t)sizeof(NrPluginInfo))
#endif

NRC_MAYBE_UNUSED static const NrPluginInfo nrc_info = {
    .abi_version = NRC_ABI_VERSION,
    .struct_size = NRC_STRUCT_SIZE,
    .name = {(const uint8_t *)NRC_NAME, sizeof(NRC_NAME) - 1},
    .version = {(const uint8_t *)"1.0.0", 5},
    .plugin_ctx = NULL,
    .vtable = NRC_VTABLE,
};

#ifdef NRC_FAULT_NO_SYMBOL
/* fault: exported under a name hosts do not look for (not ABI 2's `nylon_ring_get_plugin`,
 * which would make it an ABI 2 plugin with the wrong abi_version) */
NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v0(void) { return &nrc_info; }
#else
NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {
#ifdef NRC_FAULT_NULL_INFO
    return NULL; /* fault: no info */
#else
    return &nrc_info;
#endif
}
#endif

NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) { nrc_ext = ext; }

#if defined(NRC_VARIANT_EMBEDDED_MANIFEST) || defined(NRC_VARIANT_BAD_EMBEDDED_MANIFEST)
/* variant: the manifest travels inside the library (as SDK-built plugins do), no file needed */
NR_EXPORT const uint8_t *nylon_ring_manifest(void) {
    static const char text[] =
#ifdef NRC_VARIANT_BAD_EMBEDDED_MANIFEST
        "[plugin]\nname = \"conformance-reference\"\n\n[[entries]]\nname = \"echo\"\nmode = \"steam\"\n";
#else
        "[plugin]\nname = \"conformance-reference\"\nunknown_entry = \"unsupported\"\nunknown_sid = \"invalid\"\n"
        "[[entries]]\nname = \"hello\"\nmode = \"unary\"\npayload = \"world\"\n"
        "request = { method = \"GET\", path = \"/hello\" }\nexpect = \"GET /hello world\"\n"
        "[[entries]]\nname = \"echo\"\nmode = \"raw\"\npayload = \"hi\"\nexpect = \"hi\"\n"
        "[[entries]]\nname = \"echo_async\"\nmode = \"raw\"\npayload = \"later\"\nexpect = \"later\"\n"
        "[[entries]]\nname = \"state\"\nmode = \"raw\"\npayload = \"kept\"\nexpect = \"kept\"\n"
        "[[entries]]\nname = \"count\"\nmode = \"stream_raw\"\npayload = \"3\"\n"
        "expect_frames = [\"0\", \"1\", \"2\"]\nexpect_terminal = \"StreamEnd\"\n"
        "[[entries]]\nname = \"chat\"\nmode = \"bidi\"\nsend = [\"a\", \"b\"]\n"
        "expect_frames = [\"a\", \"b\"]\nexpect_terminal = \"StreamEnd\"\n"
        "[[panic_probes]]\nname = \"panic\"\nmode = \"raw\"\n"
        "[[panic_probes]]\nname = \"panic_async\"\nmode = \"raw\"\n";
#endif
    return (const uint8_t *)text;
}
#endif

#ifdef NRC_FAULT_LAYOUT_DRIFT
/* fault: built against drifted bindings that said NrRequest is 48 bytes (the guide's old test) */
#define nylon_ring_layout_probe_v1 nrc_true_layout_probe
NR_DEFINE_LAYOUT_PROBE()
#undef nylon_ring_layout_probe_v1
NR_EXPORT const NrLayoutProbe *nylon_ring_layout_probe_v1(void) {
    static uint32_t values[256];
    static NrLayoutProbe probe;
    const NrLayoutProbe *real = nrc_true_layout_probe();
    uint32_t count = real->count < 256 ? real->count : 256;
    memcpy(values, real->values, count * sizeof(uint32_t));
    values[12] = 48; /* NrStr, NrBytes and NrHeader take 4 values each; then NrRequest.size */
    probe.probe_version = real->probe_version;
    probe.count = count;
    probe.values = values;
    return &probe;
}
#else
NR_DEFINE_LAYOUT_PROBE()
#endif
