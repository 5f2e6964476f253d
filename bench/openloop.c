/* An open-loop HTTP load generator for bench/counter_wrk.py.
 *
 * Request i of the input file is sent at t0 + i / RATE on a connection of its own, whatever
 * happened to the requests before it, and its latency is measured from that scheduled time,
 * not from when it was written. A server that falls behind therefore cannot slow the schedule
 * down and hide its own queue from the figures (the "coordinated omission" of closed-loop
 * generators such as wrk, whose latency clock starts when a connection gets round to writing).
 *
 * Why not wrk with a pacing delay() in Lua: wrk opens the next connection as soon as the last
 * response is read and only then asks delay() how long to wait before writing. A gunicorn sync
 * worker that accepts such a connection sits blocked reading a request that has not been sent,
 * so N paced connections would hold up to N of the server's workers idle and the figures would
 * measure the pacing. Here the connection is opened at the scheduled time and the request
 * written the moment it connects, as a buffering proxy (nginx) in front of gunicorn does.
 *
 *   openloop HOST_IP PORT RATE INPUT OUTPUT [TIMEOUT_SECONDS]
 *
 * INPUT holds the raw requests, each as "<length>\n<bytes>" (Connection: close). OUTPUT gets
 * one line per request: "index scheduled_us sent_us done_us status id", times in microseconds
 * from t0, status 0 when the request failed (connect, read, timeout), id the number after
 * "payment_id", "redemption_id" or else "id" in the body (the row made), -1 when none.
 * Exits 0 when every request got an answer, 1 otherwise; the caller reads its CPU time from
 * wait4().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 8192

typedef struct {
    char *req;
    size_t len, written;
    int fd;
    int state; /* 0 not started, 1 writing, 2 reading, 3 done */
    int64_t sched, sent, done;
    char buf[BUF];
    size_t got;       /* bytes kept in buf */
    size_t total;     /* bytes received */
    long header_end;  /* offset after "\r\n\r\n", -1 until seen */
    long content_len; /* -1 when not given */
    int status;
    long long id;
} job;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void parse_head(job *j) {
    char *end = memmem(j->buf, j->got, "\r\n\r\n", 4);
    if (!end) return;
    j->header_end = end - j->buf + 4;
    if (j->got > 12 && !strncmp(j->buf, "HTTP/1.", 7)) j->status = atoi(j->buf + 9);
    for (char *p = j->buf; p < end; p++) {
        if ((p == j->buf || p[-1] == '\n') && !strncasecmp(p, "Content-Length:", 15)) {
            j->content_len = atol(p + 15);
            break;
        }
    }
}

static void finish(job *j, int epfd, int ok) {
    j->done = now_us();
    if (!ok) j->status = 0;
    if (j->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, j->fd, NULL);
        close(j->fd);
        j->fd = -1;
    }
    j->state = 3;
    if (ok && j->header_end >= 0) {
        j->buf[j->got < BUF ? j->got : BUF - 1] = '\0';
        /* The row the answer names: a payment, a redemption, the floor's row (the stored
         * answers are jsonb, whose keys come shortest first: "shop" and its "id" may lead). */
        static const char *keys[] = {"\"payment_id\":", "\"redemption_id\":", "\"id\":"};
        for (int k = 0; k < 3; k++) {
            char *p = strstr(j->buf + j->header_end, keys[k]);
            if (!p) continue;
            p += strlen(keys[k]);
            while (*p == ' ') p++;
            if (*p >= '0' && *p <= '9') j->id = atoll(p);
            break;
        }
    }
}

static int load(const char *path, job **jobs_out) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    size_t cap = 1024, n = 0;
    job *jobs = calloc(cap, sizeof(job));
    size_t len;
    while (fscanf(f, "%zu", &len) == 1) {
        if (fgetc(f) != '\n') { fprintf(stderr, "bad input record %zu\n", n); exit(2); }
        if (n == cap) {
            jobs = realloc(jobs, 2 * cap * sizeof(job));
            memset(jobs + cap, 0, cap * sizeof(job));
            cap *= 2;
        }
        jobs[n].req = malloc(len);
        if (fread(jobs[n].req, 1, len, f) != len) { fprintf(stderr, "short record\n"); exit(2); }
        jobs[n].len = len;
        jobs[n].fd = -1;
        jobs[n].header_end = -1;
        jobs[n].content_len = -1;
        jobs[n].id = -1;
        n++;
    }
    fclose(f);
    *jobs_out = jobs;
    return (int)n;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST_IP PORT RATE INPUT OUTPUT [TIMEOUT_SECONDS]\n", argv[0]);
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    double rate = atof(argv[3]);
    int64_t timeout = (argc > 6 ? atol(argv[6]) : 30) * 1000000LL;
    job *jobs;
    int n = load(argv[4], &jobs);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    int epfd = epoll_create1(0);
    struct epoll_event events[256];
    int64_t t0 = now_us() + 100000;
    for (int i = 0; i < n; i++) jobs[i].sched = (int64_t)(i * 1e6 / rate);
    int next = 0, finished = 0, failed = 0;
    int oldest = 0; /* every request before it has finished */

    while (finished < n) {
        int64_t now = now_us() - t0;
        /* Start every request whose time has come: the schedule, not the answers, decides. */
        while (next < n && jobs[next].sched <= now) {
            job *j = &jobs[next];
            j->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            int one = 1;
            setsockopt(j->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            j->sent = now;
            j->state = 1;
            if (j->fd < 0 ||
                (connect(j->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)) {
                finish(j, epfd, 0);
                finished++, failed++;
            } else {
                struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)next};
                epoll_ctl(epfd, EPOLL_CTL_ADD, j->fd, &ev);
            }
            next++;
        }
        /* Time out what has waited too long. Requests are scheduled in index order, so only
         * those from the oldest unfinished one up to the first still within its time can be
         * due: scanning every request started so far at each turn of this loop (as this did
         * until 2026-12-04) cost O(n) a turn, and with 180,000 requests at 600/s the
         * generator took a fifth of the machine from the server it measured. */
        while (oldest < next && jobs[oldest].state == 3) oldest++;
        for (int i = oldest; i < next && now - jobs[i].sched > timeout; i++) {
            if (jobs[i].state == 1 || jobs[i].state == 2) {
                finish(&jobs[i], epfd, 0);
                finished++, failed++;
            }
        }
        int wait_ms = 50;
        if (next < n) {
            int64_t until = jobs[next].sched - (now_us() - t0);
            wait_ms = until <= 0 ? 0 : (int)((until + 999) / 1000);
            if (wait_ms > 50) wait_ms = 50;
        }
        int k = epoll_wait(epfd, events, 256, wait_ms);
        for (int e = 0; e < k; e++) {
            job *j = &jobs[events[e].data.u32];
            if (j->state == 1) {
                int err = 0;
                socklen_t errlen = sizeof err;
                getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
                if (err) { finish(j, epfd, 0); finished++, failed++; continue; }
                ssize_t w = write(j->fd, j->req + j->written, j->len - j->written);
                if (w < 0) {
                    if (errno == EAGAIN) continue;
                    finish(j, epfd, 0); finished++, failed++; continue;
                }
                j->written += (size_t)w;
                if (j->written == j->len) {
                    j->state = 2;
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[e].data.u32};
                    epoll_ctl(epfd, EPOLL_CTL_MOD, j->fd, &ev);
                }
            } else if (j->state == 2) {
                char tmp[BUF];
                ssize_t r = read(j->fd, tmp, sizeof tmp);
                if (r < 0) {
                    if (errno == EAGAIN) continue;
                    finish(j, epfd, 0); finished++, failed++; continue;
                }
                if (r == 0) { /* closed by the server: complete if the head was seen */
                    int ok = j->header_end >= 0 &&
                             (j->content_len < 0 || (long)j->total >= j->header_end + j->content_len);
                    finish(j, epfd, ok); finished++; failed += !ok; continue;
                }
                size_t keep = (size_t)r;
                if (j->got + keep > BUF - 1) keep = BUF - 1 - j->got;
                memcpy(j->buf + j->got, tmp, keep);
                j->got += keep;
                j->total += (size_t)r;
                if (j->header_end < 0) parse_head(j);
                if (j->header_end >= 0 && j->content_len >= 0 &&
                    (long)j->total >= j->header_end + j->content_len) {
                    finish(j, epfd, 1); finished++;
                }
            }
        }
    }

    FILE *out = fopen(argv[5], "w");
    if (!out) { perror(argv[5]); return 2; }
    for (int i = 0; i < n; i++) {
        job *j = &jobs[i];
        fprintf(out, "%d %lld %lld %lld %d %lld\n", i, (long long)j->sched, (long long)j->sent,
                (long long)(j->done - t0), j->status, j->id);
    }
    fclose(out);
    return failed ? 1 : 0;
}
