// OpenSSL 3's libcrypto, from Debian's libssl-dev: the EVP interfaces TokenAuthOpenSSL uses
// (EVP_MAC for HMAC, EVP_Digest for SHA-256, EVP_DigestSign/Verify for RS256, ES256, EdDSA).
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
