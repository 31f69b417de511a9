// nfq-shim: delay, jitter and reordering for the impairment test bed (issue 15), where the
// kernel has no sch_netem. iptables sends a namespace's packets to an NFQUEUE; this program holds
// each one and gives its verdict (accept) when its time comes:
//
//   nfq-shim --queue N [--delay MS] [--jitter MS] [--reorder P] [--seed S]
//
// Each packet is released DELAY ± JITTER ms after it arrived (uniform); with probability P it is
// released at once instead (netem's "reorder": those overtake the delayed ones). Verdicts may be
// given in any order. SIGTERM/SIGINT release every held packet and exit; the rule should use
// --queue-bypass, so traffic still flows if the shim is gone. Prints "nfq-shim: ready" to stderr
// once bound and nothing more until its counts at exit (receive-buffer overflows, which lose the
// packets' verdicts, and failed verdicts included). (Loss and duplication need no shim: iptables statistic
// and TEE do them in the kernel.)
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { uint64_t due_ns; uint32_t id; } held_t;

static held_t *heap;
static size_t heap_len, heap_cap;
static volatile sig_atomic_t stopping;
static long delay_ms, jitter_ms;
static double reorder_p;
static unsigned long long seen, reordered, max_held, overflows, verdict_failures;
static struct nfq_q_handle *queue;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void heap_push(held_t item) {
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 4096;
        heap = realloc(heap, heap_cap * sizeof *heap);
        if (!heap) { perror("nfq-shim: realloc"); exit(1); }
    }
    size_t i = heap_len++;
    while (i > 0 && heap[(i - 1) / 2].due_ns > item.due_ns) { heap[i] = heap[(i - 1) / 2]; i = (i - 1) / 2; }
    heap[i] = item;
    if (heap_len > max_held) max_held = heap_len;
}

static held_t heap_pop(void) {
    held_t top = heap[0], last = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_len) break;
        if (c + 1 < heap_len && heap[c + 1].due_ns < heap[c].due_ns) c++;
        if (heap[c].due_ns >= last.due_ns) break;
        heap[i] = heap[c];
        i = c;
    }
    if (heap_len) heap[i] = last;
    return top;
}

static void release(uint32_t id) {
    if (nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL) < 0) verdict_failures++;  // counted (see overflows)
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *m, struct nfq_data *data, void *ctx) {
    (void)q; (void)m; (void)ctx;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
    if (!header) return 0;
    uint32_t id = ntohl(header->packet_id);
    seen++;
    if (reorder_p > 0 && drand48() < reorder_p) {
        reordered++;
        release(id);
        return 0;
    }
    long ms = delay_ms;
    if (jitter_ms > 0) ms += (long)(drand48() * (2 * jitter_ms + 1)) - jitter_ms;
    if (ms < 0) ms = 0;
    heap_push((held_t){ now_ns() + (uint64_t)ms * 1000000ull, id });
    return 0;
}

static void on_signal(int sig) { (void)sig; stopping = 1; }

int main(int argc, char **argv) {
    int queue_num = -1;
    long seed = (long)time(NULL);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--queue")) queue_num = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--delay")) delay_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--jitter")) jitter_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--reorder")) reorder_p = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = atol(argv[i + 1]);
        else { fprintf(stderr, "nfq-shim: unknown option %s\n", argv[i]); return 2; }
    }
    if (queue_num < 0) { fprintf(stderr, "usage: nfq-shim --queue N [--delay MS] [--jitter MS] [--reorder P] [--seed S]\n"); return 2; }
    srand48(seed);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    // A program started by Foundation's Process inherits the starting thread's signal mask, in
    // which SIGTERM and SIGINT are blocked: unblock them, or a SIGTERM stays pending for ever.
    sigset_t ending;
    sigemptyset(&ending);
    sigaddset(&ending, SIGTERM);
    sigaddset(&ending, SIGINT);
    sigprocmask(SIG_UNBLOCK, &ending, NULL);

    struct nfq_handle *handle = nfq_open();
    if (!handle) { perror("nfq-shim: nfq_open"); return 1; }
    queue = nfq_create_queue(handle, (uint16_t)queue_num, on_packet, NULL);
    if (!queue) { perror("nfq-shim: nfq_create_queue"); return 1; }
    // Metadata only: a verdict needs the id, not the bytes.
    if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) { perror("nfq-shim: nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(queue, 100000);
    nfnl_rcvbufsiz(nfq_nfnlh(handle), 32 * 1024 * 1024);
    int fd = nfq_fd(handle);
    fprintf(stderr, "nfq-shim: ready queue=%d delay=%ldms jitter=%ldms reorder=%.3f\n", queue_num, delay_ms, jitter_ms, reorder_p);
    fflush(stderr);

    char buffer[65536] __attribute__((aligned));
    while (!stopping) {
        uint64_t now = now_ns();
        while (heap_len && heap[0].due_ns <= now) release(heap_pop().id);
        int timeout = heap_len ? (int)((heap[0].due_ns - now) / 1000000ull) + 1 : 100;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ready = poll(&p, 1, timeout);
        if (ready < 0 && errno != EINTR) { perror("nfq-shim: poll"); break; }
        if (ready <= 0) continue;
        for (;;) {
            ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n < 0) {
                // Counted, not printed: the test bed does not read stderr after "ready", and a
                // line per overflow would fill the pipe and stop the shim (and the link) for good.
                if (errno == ENOBUFS) { overflows++; continue; }
                break;
            }
            nfq_handle_packet(handle, buffer, (int)n);
        }
    }
    while (heap_len) release(heap_pop().id);
    fprintf(stderr, "nfq-shim: done seen=%llu reordered=%llu max_held=%llu overflows=%llu verdict_failures=%llu\n", seen, reordered, max_held, overflows, verdict_failures);
    nfq_destroy_queue(queue);
    nfq_close(handle);
    return 0;
}
