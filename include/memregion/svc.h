/* SPDX-License-Identifier: MIT */
/* memregion/svc.h: services: processes meet by name and get the ends of a
 * shared-memory channel (memregion/chan.h), or of a pair of them.
 *
 * A server offers a service under a NAME (mr_svc_offer) and accepts
 * clients (mr_svc_accept); a client connects by the same name
 * (mr_svc_connect), waiting for the service to appear if it must. Each
 * connection makes its own channel(s) in sealed memfds, handed to the
 * client over the connection's Unix socket: nothing is ever named in
 * /dev/shm, so no crash leaves anything behind there.
 *
 * NAMES. NAME is 1 to MR_SVC_NAME_MAX bytes of [A-Za-z0-9._-], not starting
 * with '.'. It lives at
 *   $XDG_RUNTIME_DIR/memregion-UID/NAME.svc   (XDG_RUNTIME_DIR absolute), or
 *   /tmp/memregion-UID/NAME.svc               (otherwise)
 * where UID is the effective uid. The directory is made with mode 0700 and
 * checked on every use: -EPERM when it is a symbolic link or belongs to
 * another user, -EACCES when its mode lets others in (group or other
 * bits), -ENOTDIR when it is not a directory. Remove it to have it made
 * again. A socket file left by a server that died (nobody listens on it)
 * is replaced by the next mr_svc_offer.
 * "@NAME" is the same NAME in Linux's abstract namespace, as
 * "memregion-NAME" (without the uid, so that a service offered to every
 * user, MR_SVC_ANY_UID, can be found by them): no file, so nothing stale is
 * ever left, but every process of the network namespace sees it and may
 * take the name first; the credential checks on both sides (below) are then
 * all that protects the peers, and they do: by default a client refuses a
 * server of another user with -EACCES.
 *
 * CREDENTIALS. Each side reads the other's uid, gid and pid from the
 * socket (SO_PEERCRED), never from shared memory, and refuses a peer that
 * does not run as its own effective uid, unless its options say otherwise
 * (MR_SVC_ANY_UID, or an allow callback). A refused client gets -EACCES
 * from mr_svc_connect; the server's mr_svc_accept counts it in
 * s->refused and goes on waiting for the next client within its timeout.
 *
 * DEATH. Each channel end watches the connection's socket, and the peer's
 * pid when pidfds work here, so a blocking call on it returns when the
 * peer closes or dies (see CLOSING AND DEATH in chan.h for the error and
 * the bound).
 *
 * THREAD-SAFETY: a struct mr_svc and a struct mr_svc_conn are used by one
 * thread at a time; distinct ones need nothing. mr_svc_list is thread-safe.
 * The wire protocol is in docs/svc.md.
 */
#ifndef MEMREGION_SVC_H
#define MEMREGION_SVC_H

#include <memregion/chan.h>
#include <memregion/sock.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest NAME, without the '@' of an abstract one. */
#define MR_SVC_NAME_MAX 64

/* The capacity of a channel when the options say 0. */
#define MR_SVC_CAPACITY_DEFAULT ((size_t)1 << 20)

/* The longest the greeting on one connection may take, on either side,
 * whatever the caller's timeout (a peer that stalls is dropped). */
#define MR_SVC_HANDSHAKE_MS 5000

/* Options flags. The shape of a connection is the server's: one channel
 * from client to server (the default), one from server to client
 * (MR_SVC_TO_CLIENT), or both (MR_SVC_DUPLEX: requests and replies). */
#define MR_SVC_DUPLEX 0x1u    /* a pair of channels, one each way */
#define MR_SVC_TO_CLIENT 0x2u /* one channel, from the server to the client */
#define MR_SVC_ANY_UID 0x4u   /* accept a peer of any uid (no allow callback needed) */
#define MR_SVC_FENCED 0x8u    /* create the channels with MR_CHAN_FENCED */
/* A connection with no channel: only the socket, checked credentials and
 * the peer watched through it, for a protocol of the caller's on top (the
 * topics of topic.h hand their own memfds over it). Both sides must say
 * it: a server offering it takes no other shape flag (-EINVAL), and a
 * client that says it to a server that does not, or the other way round,
 * gets -EPROTO from mr_svc_connect. */
#define MR_SVC_NO_CHANNELS 0x10u

/* Whether a peer may be used: return true to accept it. Called with the
 * credentials the kernel gave for the peer's socket. */
typedef bool mr_svc_allow_fn(const struct mr_sock_cred *peer, void *arg);

/* Options for mr_svc_offer and mr_svc_connect; NULL means all defaults
 * (same uid only, one channel client to server, 1 MiB). A client uses only
 * allow, allow_arg and MR_SVC_ANY_UID (the server chooses the rest). */
struct mr_svc_opts {
    size_t capacity;         /* ring bytes per channel: a power of two in
                                MR_CHAN_CAPACITY_MIN..MAX; 0: the default */
    unsigned flags;          /* MR_SVC_* */
    mr_svc_allow_fn *allow;  /* NULL: the peer must run as our effective uid
                                (or any uid with MR_SVC_ANY_UID) */
    void *allow_arg;
};

/* A service offered: owns the listening socket and the file it bound. */
struct mr_svc {
    struct mr_sock listener; /* listening; closed when the service is */
    size_t capacity;
    unsigned flags;
    mr_svc_allow_fn *allow;
    void *allow_arg;
    unsigned long refused;   /* clients refused by credentials so far */
    unsigned long dropped;   /* connections dropped for a bad or missing greeting */
};
#define MR_SVC_INIT { MR_SOCK_INIT, 0, 0, NULL, NULL, 0, 0 }

/* One connection, on either side. tx is this side's producer end, rx its
 * consumer end; an end the service's shape does not have stays closed
 * (its calls return -EBADF). The socket stays open for the connection's
 * life (the ends watch it). peer is the other side's credentials. */
struct mr_svc_conn {
    struct mr_chan tx;
    struct mr_chan rx;
    struct mr_sock sock;
    struct mr_sock_cred peer;
};
#define MR_SVC_CONN_INIT { MR_CHAN_INIT, MR_CHAN_INIT, MR_SOCK_INIT, { 0, 0, 0 } }

/* Offer the service name with opts (NULL: defaults) into *out, which must
 * be closed (MR_SVC_INIT). 0; or -EINVAL (name, capacity, flags), -EADDRINUSE
 * (a live server offers name), -ENAMETOOLONG (the socket path does not fit:
 * set XDG_RUNTIME_DIR shorter), the directory's errors above, and the
 * socket errors of mr_sock_open_listen. On failure *out is closed and
 * nothing is left behind. */
MR_API int mr_svc_offer(struct mr_svc *out, const char *name, const struct mr_svc_opts *opts);

/* Stop offering: close the listening socket and remove the socket file it
 * made (never a file it did not make, such as one of a server started since
 * on the name). Connections accepted stay open. A closed service is a no-op
 * returning 0. */
MR_API int mr_svc_close(struct mr_svc *s);

/* Accept one client within timeout_ms into *out (which must be closed:
 * MR_SVC_CONN_INIT): check its credentials, create the channel(s) and hand
 * them over. A client refused by credentials (told -EACCES), one that
 * hangs up or says something else than a client's greeting, or one just
 * listing services, is dropped and the wait goes on. timeout_ms bounds the
 * wait for a client to connect; the greeting of one that connected takes
 * up to MR_SVC_HANDSHAKE_MS more, so that an event loop can poll
 * s->listener.fd for POLLIN and then accept with 0. 0; or -ETIMEDOUT,
 * -EBADF (s closed), -ENOMEM, -EMFILE, ... with *out closed. */
MR_API int mr_svc_accept(struct mr_svc *s, struct mr_svc_conn *out, int timeout_ms);

/* Connect to the service name into *out (closed), waiting up to timeout_ms
 * for it to be offered (retrying with a sleep of up to 10 ms). 0; or
 * -ENOENT (timeout 0 and no service now), -ETIMEDOUT (none came in time, or
 * the server did not finish the greeting), -EACCES (the server runs as a
 * user opts do not allow, or refused us), -EPROTO (the peer is not a
 * memregion service of this version, or broke the greeting), -EINVAL,
 * the directory's errors above, and the errors of mr_chan_attach_sock.
 * On failure *out is closed and nothing is left behind. */
MR_API int mr_svc_connect(struct mr_svc_conn *out, const char *name,
                          const struct mr_svc_opts *opts, int timeout_ms);

/* Close the connection's ends and its socket (the peer sees this side
 * close). A closed connection is a no-op. Returns 0 or the first close
 * error (everything is closed anyway). */
MR_API int mr_svc_conn_close(struct mr_svc_conn *c);

/* One service of this user's directory, as mr_svc_list sees it. */
struct mr_svc_info {
    char name[MR_SVC_NAME_MAX + 1];
    bool live;  /* a server accepts on it; false: a stale file */
    pid_t pid;  /* the server's, when live */
    uid_t uid;
    gid_t gid;
};

/* The services offered in this user's directory (not abstract ones), up to
 * max of them into out, in no particular order; each live one is asked for
 * its credentials by a connection that says it only looks. Returns how many
 * there are (may exceed max: call again with more room); 0 when the
 * directory does not exist; or the directory's errors, -ENOMEM. */
MR_API int mr_svc_list(struct mr_svc_info *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif
