// The system OpenSSL 3 headers, imported as one module. No logic lives here.
#ifndef INET_COPENSSL_SHIM_H
#define INET_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pkcs12.h>
#include <openssl/pem.h>
#endif
