/*
 * floor.c — the least work any queue sender that keeps the exactly-once rule can do,
 * as a C program: a yardstick for scripts/bench-queue, not a sender.
 *
 *   floor DATABASE HOST PORT CONNECTIONS
 *
 * It claims every unsent request of a mail-queue SQLite database in one statement, then sends
 * them over CONNECTIONS connections (one thread each) with what the rule needs and nothing
 * else: for each request, one transaction that records the previous request's 250 (sent) and
 * marks this one uncertain (the same two UPDATEs mail-queue makes), committed before the final
 * dot; MAIL, RCPT and DATA pipelined behind the previous dot (one round trip per message). It
 * builds no message (one fixed 1 KiB message for all), reads no request back, validates
 * nothing and records no error: every reply must be the expected one or it stops. The threads
 * share one SQLite connection under a mutex (WAL, synchronous=NORMAL, as mail-queue).
 *
 * Prints `sent N` on success; exits 1 with a message on any unexpected reply or error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static sqlite3 *db;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_stmt *begin_stmt, *commit_stmt, *sent_stmt, *uncertain_stmt;
static char **ids;
static int id_count;
static atomic_int next_index;
static const char *host;
static int port;
static char message[4096];
static size_t message_length;
static const char envelope[] = "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n";

static void die(const char *what, const char *detail) {
    fprintf(stderr, "floor: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) die(what, sqlite3_errmsg(db));
}

static void run(sqlite3_stmt *stmt, const char *what) {
    check(sqlite3_step(stmt), what);
    sqlite3_reset(stmt);
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One transaction: `sent` (may be NULL) recorded sent, `uncertain` marked uncertain. */
static void mark(const char *sent, const char *uncertain) {
    pthread_mutex_lock(&db_lock);
    run(begin_stmt, "BEGIN");
    if (sent) {
        sqlite3_bind_text(sent_stmt, 1, "sent", -1, SQLITE_STATIC);
        sqlite3_bind_int64(sent_stmt, 2, now_ms());
        sqlite3_bind_null(sent_stmt, 3);
        sqlite3_bind_text(sent_stmt, 4, sent, -1, SQLITE_STATIC);
        sqlite3_bind_text(sent_stmt, 5, "floor", -1, SQLITE_STATIC);
        run(sent_stmt, "mark sent");
    }
    if (uncertain) {
        sqlite3_bind_text(uncertain_stmt, 1, "uncertain", -1, SQLITE_STATIC);
        sqlite3_bind_text(uncertain_stmt, 2, uncertain, -1, SQLITE_STATIC);
        sqlite3_bind_text(uncertain_stmt, 3, "floor", -1, SQLITE_STATIC);
        sqlite3_bind_text(uncertain_stmt, 4, "sending", -1, SQLITE_STATIC);
        run(uncertain_stmt, "mark uncertain");
        if (sqlite3_changes(db) != 1) die("mark uncertain", "no row changed");
    }
    run(commit_stmt, "COMMIT");
    pthread_mutex_unlock(&db_lock);
}

struct reader {
    int fd;
    char buffer[8192];
    size_t start, end;
};

/* Reads one whole reply; returns its code. */
static int read_reply(struct reader *r) {
    for (;;) {
        /* A complete line "ddd<SP>..." ends the reply; "ddd-" continues it. */
        char *line = r->buffer + r->start;
        char *eol = memchr(line, '\n', r->end - r->start);
        if (eol) {
            r->start = (size_t)(eol - r->buffer) + 1;
            if (eol - line >= 4 && line[3] == ' ') return atoi(line);
            continue;
        }
        if (r->start > 0) {
            memmove(r->buffer, r->buffer + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        ssize_t n = recv(r->fd, r->buffer + r->end, sizeof r->buffer - r->end, 0);
        if (n <= 0) die("recv", "connection closed");
        r->end += (size_t)n;
    }
}

static void expect(struct reader *r, int code, const char *what) {
    int got = read_reply(r);
    if (got != code) {
        char text[64];
        snprintf(text, sizeof text, "%d, not %d", got, code);
        die(what, text);
    }
}

static void write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = send(fd, bytes, length, 0);
        if (n <= 0) die("send", "failed");
        bytes += n;
        length -= (size_t)n;
    }
}

static void *worker(void *unused) {
    (void)unused;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) die("connect", host);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct reader r = {.fd = fd};
    expect(&r, 220, "greeting");
    write_all(fd, "EHLO floor.test\r\n", 17);
    expect(&r, 250, "EHLO");
    char *out = malloc(message_length + sizeof envelope);
    const char *previous = NULL;
    int index = atomic_fetch_add(&next_index, 1);
    if (index < id_count) write_all(fd, envelope, sizeof envelope - 1);
    while (index < id_count) {
        expect(&r, 250, "MAIL");
        expect(&r, 250, "RCPT");
        expect(&r, 354, "DATA");
        mark(previous, ids[index]);
        int following = atomic_fetch_add(&next_index, 1);
        memcpy(out, message, message_length);
        size_t length = message_length;
        if (following < id_count) {
            memcpy(out + length, envelope, sizeof envelope - 1);
            length += sizeof envelope - 1;
        }
        write_all(fd, out, length);
        expect(&r, 250, "final dot");
        previous = ids[index];
        index = following;
    }
    if (previous) mark(previous, NULL);
    write_all(fd, "QUIT\r\n", 6);
    close(fd);
    free(out);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: floor DATABASE HOST PORT CONNECTIONS\n");
        return 2;
    }
    host = argv[2];
    port = atoi(argv[3]);
    int connections = atoi(argv[4]);
    if (connections < 1 || port < 1) die("usage", "PORT and CONNECTIONS must be positive");
    check(sqlite3_open(argv[1], &db), "open");
    sqlite3_busy_timeout(db, 30000);
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL), "pragmas");
    char claim[256];
    snprintf(claim, sizeof claim,
             "UPDATE mail_request SET status='sending', lease_owner='floor', lease_until=%lld, attempts=attempts+1 "
             "WHERE status='unsent'", now_ms() + 3600000);
    check(sqlite3_exec(db, claim, NULL, NULL, NULL), "claim");
    sqlite3_stmt *select;
    check(sqlite3_prepare_v2(db, "SELECT id FROM mail_request WHERE status='sending' AND lease_owner='floor' "
                                 "ORDER BY next_attempt_at, id", -1, &select, NULL), "select");
    int capacity = 1024;
    ids = malloc(sizeof *ids * (size_t)capacity);
    while (sqlite3_step(select) == SQLITE_ROW) {
        if (id_count == capacity) ids = realloc(ids, sizeof *ids * (size_t)(capacity *= 2));
        ids[id_count++] = strdup((const char *)sqlite3_column_text(select, 0));
    }
    sqlite3_finalize(select);
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin_stmt, NULL), "prepare");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit_stmt, NULL), "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE \"mail_request\" SET \"status\" = ?, \"sent_at\" = ?, \"refused_recipients\" = ?, "
                                 "\"last_error\" = NULL, \"lease_owner\" = NULL, \"lease_until\" = NULL "
                                 "WHERE \"id\" = ? AND \"lease_owner\" = ?", -1, &sent_stmt, NULL), "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE \"mail_request\" SET \"status\" = ? WHERE \"id\" = ? AND \"lease_owner\" = ? "
                                 "AND \"status\" = ?", -1, &uncertain_stmt, NULL), "prepare");
    /* A 1 KiB body with the headers mail-queue writes, and the final dot. */
    int n = snprintf(message, sizeof message,
                     "Date: Tue, 24 Nov 2026 08:00:00 +0000\r\nFrom: a@example.com\r\nTo: b@example.com\r\n"
                     "Subject: floor\r\nMessage-ID: <floor@example.com>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
    for (int line = 0; line < 16; line++) n += snprintf(message + n, sizeof message - (size_t)n, "%062d\r\n", line);
    n += snprintf(message + n, sizeof message - (size_t)n, ".\r\n");
    message_length = (size_t)n;
    pthread_t threads[64];
    if (connections > 64) connections = 64;
    for (int i = 0; i < connections; i++) pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < connections; i++) pthread_join(threads[i], NULL);
    printf("sent %d\n", id_count);
    return 0;
}
