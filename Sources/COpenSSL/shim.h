// Wraps the parts of the system OpenSSL 3 that Swift cannot import directly (macros).
#ifndef SMTP_CONVERSATION_COPENSSL_SHIM_H
#define SMTP_CONVERSATION_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pkcs12.h>
#include <openssl/bio.h>
#include <openssl/asn1.h>
#include <openssl/rand.h>
#include <openssl/provider.h>

static inline long shim_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

static inline long shim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

static inline int shim_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline unsigned long shim_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }

static inline long shim_SSL_CTX_set_mode_auto_retry(SSL_CTX *ctx) {
    return SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
}

static inline long shim_SSL_CTX_set_options_defaults(SSL_CTX *ctx) {
    return SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

static inline int shim_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *shim_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *shim_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int shim_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void shim_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline void shim_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }

static inline int shim_sk_GENERAL_NAME_num(const STACK_OF(GENERAL_NAME) *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *shim_sk_GENERAL_NAME_value(const STACK_OF(GENERAL_NAME) *sk, int i) {
    return sk_GENERAL_NAME_value(sk, i);
}
static inline void shim_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

static inline BIO *shim_BIO_new_mem(void) { return BIO_new(BIO_s_mem()); }
static inline long shim_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline long shim_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *x509) {
    return SSL_CTX_add_extra_chain_cert(ctx, x509);
}

/* TrustStore (wallet): stacks of PKCS7 for building an empty PKCS#12, X509_STORE_CTX chains. */
static inline STACK_OF(PKCS7) *shim_sk_PKCS7_new_null(void) { return sk_PKCS7_new_null(); }
static inline void shim_sk_PKCS7_free(STACK_OF(PKCS7) *sk) { sk_PKCS7_free(sk); }
static inline int shim_PKCS12_DEFAULT_ITER(void) { return PKCS12_DEFAULT_ITER; }

static inline int shim_sk_PKCS7_num(const STACK_OF(PKCS7) *sk) { return sk_PKCS7_num(sk); }
static inline PKCS7 *shim_sk_PKCS7_value(const STACK_OF(PKCS7) *sk, int i) { return sk_PKCS7_value(sk, i); }
static inline void shim_sk_PKCS7_pop_free(STACK_OF(PKCS7) *sk) { sk_PKCS7_pop_free(sk, PKCS7_free); }
static inline int shim_PKCS7_type_is_data(PKCS7 *p7) { return PKCS7_type_is_data(p7); }
static inline int shim_PKCS7_type_is_encrypted(PKCS7 *p7) { return PKCS7_type_is_encrypted(p7); }
static inline int shim_sk_PKCS12_SAFEBAG_num(const STACK_OF(PKCS12_SAFEBAG) *sk) { return sk_PKCS12_SAFEBAG_num(sk); }
static inline PKCS12_SAFEBAG *shim_sk_PKCS12_SAFEBAG_value(const STACK_OF(PKCS12_SAFEBAG) *sk, int i) {
    return sk_PKCS12_SAFEBAG_value(sk, i);
}
static inline void shim_sk_PKCS12_SAFEBAG_pop_free(STACK_OF(PKCS12_SAFEBAG) *sk) {
    sk_PKCS12_SAFEBAG_pop_free(sk, PKCS12_SAFEBAG_free);
}

/* CRAM-MD5 (RFC 2195) from a stored HMAC-MD5 context, as Dovecot's CRAM-MD5 scheme keeps it: the
   MD5 state after the one 64-byte block (key XOR ipad, or key XOR opad), never the password.
   The low-level MD5 calls are deprecated in OpenSSL 3 (the EVP interface hides the state these
   two need); they stay here, in C, out of the Swift code's sight. */
#include <openssl/md5.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/* The MD5 chaining values A, B, C, D after hashing the 64-byte `block`. */
static inline void shim_md5_state_after_block(const unsigned char *block, unsigned int *abcd) {
    MD5_CTX ctx;
    MD5_Init(&ctx);
    MD5_Update(&ctx, block, 64);
    abcd[0] = ctx.A; abcd[1] = ctx.B; abcd[2] = ctx.C; abcd[3] = ctx.D;
}
/* MD5 of (the 64-byte block that left `abcd`) followed by `data`: resumes from that state. */
static inline void shim_md5_resume(const unsigned int *abcd, const unsigned char *data, size_t length, unsigned char *digest) {
    MD5_CTX ctx;
    MD5_Init(&ctx);
    ctx.A = abcd[0]; ctx.B = abcd[1]; ctx.C = abcd[2]; ctx.D = abcd[3];
    ctx.Nl = 512; ctx.Nh = 0; ctx.num = 0;
    MD5_Update(&ctx, data, length);
    MD5_Final(digest, &ctx);
}
#pragma GCC diagnostic pop

#endif
