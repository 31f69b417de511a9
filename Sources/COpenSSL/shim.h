// The system OpenSSL 3 headers, imported as one module, plus static inline wrappers for the
// macros Swift cannot import. No logic lives here.
#ifndef INET_COPENSSL_SHIM_H
#define INET_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pkcs12.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

static inline int cinet_ssl_ctx_set_min_proto(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int cinet_ssl_ctx_set_max_proto(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline int cinet_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int cinet_ssl_ctx_add_chain_cert(SSL_CTX *ctx, X509 *x509) {
    return (int)SSL_CTX_add1_chain_cert(ctx, x509);
}
static inline int cinet_ssl_ctx_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline void *cinet_ssl_ctx_get_app_data(const SSL_CTX *ctx) { return SSL_CTX_get_ex_data(ctx, 0); }
static inline int cinet_ssl_ctx_set_app_data(SSL_CTX *ctx, void *data) { return SSL_CTX_set_ex_data(ctx, 0, data); }
// Session-ticket HMAC: SHA-256 keyed with `key` (OSSL_PARAM lists are not built from Swift).
static inline int cinet_ticket_hmac_init(EVP_MAC_CTX *hctx, const unsigned char *key, size_t length) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_init(hctx, key, length, params);
}
static inline int cinet_err_reason(unsigned long e) { return ERR_GET_REASON(e); }
static inline int cinet_err_lib(unsigned long e) { return ERR_GET_LIB(e); }
static inline void cinet_openssl_free(void *p) { OPENSSL_free(p); }

// Stacks (typed macros in OpenSSL 3).
static inline int cinet_sk_x509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *cinet_sk_x509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline void cinet_sk_x509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline int cinet_sk_pkcs7_num(const STACK_OF(PKCS7) *sk) { return sk_PKCS7_num(sk); }
static inline PKCS7 *cinet_sk_pkcs7_value(const STACK_OF(PKCS7) *sk, int i) { return sk_PKCS7_value(sk, i); }
static inline void cinet_sk_pkcs7_pop_free(STACK_OF(PKCS7) *sk) { sk_PKCS7_pop_free(sk, PKCS7_free); }
static inline int cinet_sk_bag_num(const STACK_OF(PKCS12_SAFEBAG) *sk) { return sk_PKCS12_SAFEBAG_num(sk); }
static inline PKCS12_SAFEBAG *cinet_sk_bag_value(const STACK_OF(PKCS12_SAFEBAG) *sk, int i) { return sk_PKCS12_SAFEBAG_value(sk, i); }
static inline void cinet_sk_bag_pop_free(STACK_OF(PKCS12_SAFEBAG) *sk) { sk_PKCS12_SAFEBAG_pop_free(sk, PKCS12_SAFEBAG_free); }
static inline STACK_OF(X509) *cinet_sk_x509_new_null(void) { return sk_X509_new_null(); }
static inline void cinet_sk_x509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline int cinet_sk_x509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline int cinet_pkcs7_nid(const PKCS7 *p7) { return OBJ_obj2nid(p7->type); }

static const int CINET_TLS1_VERSION = TLS1_VERSION;
static const int CINET_TLS1_1_VERSION = TLS1_1_VERSION;
static const int CINET_TLS1_2_VERSION = TLS1_2_VERSION;
static const int CINET_TLS1_3_VERSION = TLS1_3_VERSION;
static const uint64_t CINET_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t CINET_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t CINET_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
#endif
