/*
 * nfq-delay — hold every packet of one netfilter queue for a fixed time, then accept it.
 *
 * A latency injector for kernels without the netem qdisc. iptables sends packets to the
 * queue (`-j NFQUEUE --queue-num N`); this program reads them (metadata only, no payload
 * copy), stamps each with its release time and accepts it when that time comes. The delay
 * is the same for every packet of a queue, so release times grow in arrival order and a
 * FIFO ring is already timer-ordered: verdicts go out in order, and many packets are in
 * flight at once (throughput is not serialized behind a sleep per packet).
 *
 *   nfq-delay -q QUEUE -d DELAY_MS [-n CAPACITY]
 *
 * Used by scripts/make-scenario-captures.sh: one instance per emulated link, hooked in the
 * "internet" router's mangle PREROUTING (-i link) and POSTROUTING (-o link) chains, so a
 * packet crossing links A and B is held delay(A) + delay(B).
 *
 * On SIGINT/SIGTERM it prints one line of counters (packets, the most held at once, the
 * latest verdict relative to its due time) and exits.
 *
 * Build: cc -O2 -Wall -o nfq-delay nfq-delay.c -lnetfilter_queue -lnfnetlink
 * (Debian: apt-get install libnetfilter-queue-dev).
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

struct held {
    uint32_t id;
    int64_t due_ns;
};

static struct held *ring;
static uint32_t ring_cap, ring_head, ring_len;
static int64_t delay_ns;
static struct nfq_q_handle *qh;

static uint64_t n_packets, n_overflow, max_held;
static int64_t max_late_ns;
static volatile sig_atomic_t stop;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void accept_packet(uint32_t id) {
    if (nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL) < 0)
        fprintf(stderr, "nfq-delay: verdict for %u failed: %s\n", id, strerror(errno));
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
    (void)q; (void)msg; (void)data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    n_packets++;
    if (ring_len == ring_cap) {
        /* Cannot hold it: let it through undelayed rather than drop it, and count it. */
        n_overflow++;
        accept_packet(id);
        return 0;
    }
    uint32_t slot = (ring_head + ring_len) % ring_cap;
    ring[slot].id = id;
    ring[slot].due_ns = now_ns() + delay_ns;
    ring_len++;
    if (ring_len > max_held) max_held = ring_len;
    return 0;
}

/* Accepts every packet whose time has come; returns ns until the next one is due, or -1. */
static int64_t release_due(void) {
    while (ring_len > 0) {
        int64_t t = now_ns();
        struct held *h = &ring[ring_head];
        if (h->due_ns > t) return h->due_ns - t;
        if (t - h->due_ns > max_late_ns) max_late_ns = t - h->due_ns;
        accept_packet(h->id);
        ring_head = (ring_head + 1) % ring_cap;
        ring_len--;
    }
    return -1;
}

static void on_signal(int sig) { (void)sig; stop = 1; }

static void usage(void) {
    fprintf(stderr, "usage: nfq-delay -q QUEUE -d DELAY_MS [-n CAPACITY]\n");
    exit(2);
}

int main(int argc, char **argv) {
    long queue = -1;
    double delay_ms = -1;
    long capacity = 65536;
    int opt;
    while ((opt = getopt(argc, argv, "q:d:n:h")) != -1) {
        switch (opt) {
        case 'q': queue = strtol(optarg, NULL, 10); break;
        case 'd': delay_ms = strtod(optarg, NULL); break;
        case 'n': capacity = strtol(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (queue < 0 || queue > 65535 || delay_ms < 0 || capacity < 16) usage();
    delay_ns = (int64_t)(delay_ms * 1e6);
    ring_cap = (uint32_t)capacity;
    ring = calloc(ring_cap, sizeof *ring);
    if (!ring) { perror("calloc"); return 1; }

    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    if (nfq_bind_pf(h, AF_INET) < 0) { perror("nfq_bind_pf"); return 1; }
    qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
    if (!qh) { fprintf(stderr, "nfq-delay: cannot bind queue %ld (in use?)\n", queue); return 1; }
    /* Metadata only: the verdict needs the packet id, not its bytes. */
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
    /* The kernel queue must hold as many packets as the ring, or it drops the excess. */
    nfq_set_queue_maxlen(qh, ring_cap);
    /* A big socket buffer, so a burst of queued packets is not lost as ENOBUFS. */
    nfnl_rcvbufsiz(nfq_nfnlh(h), 8 * 1024 * 1024);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int fd = nfq_fd(h);
    char buf[65536] __attribute__((aligned));
    fprintf(stderr, "nfq-delay: queue %ld, delay %.3f ms\n", queue, delay_ms);
    while (!stop) {
        int64_t wait_ns = release_due();
        struct timespec ts, *tsp = NULL;
        if (wait_ns >= 0) {
            ts.tv_sec = wait_ns / 1000000000LL;
            ts.tv_nsec = wait_ns % 1000000000LL;
            tsp = &ts;
        }
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = ppoll(&pfd, 1, tsp, NULL);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("ppoll");
            break;
        }
        if (r == 0) continue;
        /* Drain what is waiting without blocking, then go back to releasing. */
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0) {
                if (errno == ENOBUFS) { fprintf(stderr, "nfq-delay: socket overrun (ENOBUFS)\n"); continue; }
                break;
            }
            nfq_handle_packet(h, buf, (int)n);
        }
    }
    /* Let every held packet go before leaving, so nothing is stranded in the kernel queue. */
    while (ring_len > 0) {
        accept_packet(ring[ring_head].id);
        ring_head = (ring_head + 1) % ring_cap;
        ring_len--;
    }
    fprintf(stderr, "nfq-delay: queue %ld: packets=%llu max_held=%llu overflow=%llu max_late_us=%.1f\n",
            queue, (unsigned long long)n_packets, (unsigned long long)max_held,
            (unsigned long long)n_overflow, (double)max_late_ns / 1000.0);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
