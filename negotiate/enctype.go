package negotiate

import (
	"strconv"
	"strings"
)

// Kerberos encryption types (IANA "Kerberos Encryption Type Numbers";
// RFC 3961, RFC 3962, RFC 4757, RFC 8009, RFC 6803) with the names MIT klist
// prints and the names Windows klist prints.
var encTypes = []struct {
	id      int32
	mit     string
	windows string
	aliases []string
}{
	{1, "des-cbc-crc", "DES-CBC-CRC", nil},
	{2, "des-cbc-md4", "DES-CBC-MD4", nil},
	{3, "des-cbc-md5", "DES-CBC-MD5", nil},
	{5, "des3-cbc-md5", "DES3-CBC-MD5", nil},
	{7, "des3-cbc-sha1", "DES3-CBC-SHA1", nil},
	{16, "des3-cbc-sha1-kd", "DES3-CBC-SHA1-KD", []string{"des3-cbc-sha1", "des3-hmac-sha1", "des3-cbc-raw"}},
	{17, "aes128-cts-hmac-sha1-96", "AES-128-CTS-HMAC-SHA1-96", []string{"aes128-cts", "aes128-sha1", "aes128-cts-hmac-sha1"}},
	{18, "aes256-cts-hmac-sha1-96", "AES-256-CTS-HMAC-SHA1-96", []string{"aes256-cts", "aes256-sha1", "aes256-cts-hmac-sha1"}},
	{19, "aes128-cts-hmac-sha256-128", "AES-128-CTS-HMAC-SHA256-128", []string{"aes128-sha2"}},
	{20, "aes256-cts-hmac-sha384-192", "AES-256-CTS-HMAC-SHA384-192", []string{"aes256-sha2"}},
	{23, "arcfour-hmac", "RSADSI RC4-HMAC(NT)", []string{"rc4-hmac", "arcfour-hmac-md5", "rc4-hmac-nt", "rc4_hmac_md5", "23"}},
	{24, "arcfour-hmac-exp", "RSADSI RC4-HMAC(NT)-Exp", []string{"rc4-hmac-exp", "arcfour-hmac-md5-exp"}},
	{25, "camellia128-cts-cmac", "CAMELLIA128-CTS-CMAC", []string{"camellia128-cts"}},
	{26, "camellia256-cts-cmac", "CAMELLIA256-CTS-CMAC", []string{"camellia256-cts"}},
	{-128, "rc4-hmac-old", "RSADSI RC4-HMAC(Old)", nil},         // Windows private (MS-KILE)
	{-133, "rc4-md4", "RSADSI RC4-MD4", nil},                    // Windows private
	{-135, "rc4-hmac-old-exp", "RSADSI RC4-HMAC(Old)-Exp", nil}, // Windows private
	{-140, "rc4-lm", "RSADSI RC4-LM", nil},                      // Windows private (historic)
	{-141, "rc4-plain", "RSADSI RC4", nil},                      // Windows private (historic)
	{-142, "rc4-plain-exp", "RSADSI RC4-EXP", nil},              // Windows private (historic)
}

// EncTypeName returns the MIT name of a Kerberos encryption type
// ("aes256-cts-hmac-sha1-96", "arcfour-hmac"), or "etype <n>" when unknown.
func EncTypeName(id int32) string {
	for _, e := range encTypes {
		if e.id == id {
			return e.mit
		}
	}
	return "etype " + strconv.Itoa(int(id))
}

// EncTypeWindowsName returns the name Windows klist prints for an encryption
// type ("AES-256-CTS-HMAC-SHA1-96", "RSADSI RC4-HMAC(NT)").
func EncTypeWindowsName(id int32) string {
	for _, e := range encTypes {
		if e.id == id {
			return e.windows
		}
	}
	return "etype " + strconv.Itoa(int(id))
}

// EncTypeID maps an encryption type name as MIT or Windows klist prints it
// (case-insensitive, also common aliases such as "rc4-hmac" and "aes256-cts",
// and decimal numbers) to its number.
func EncTypeID(name string) (int32, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return 0, false
	}
	if strings.HasPrefix(n, "etype ") {
		n = strings.TrimSpace(n[len("etype "):])
	}
	if v, err := strconv.ParseInt(n, 10, 32); err == nil {
		return int32(v), true
	}
	for _, e := range encTypes {
		if n == e.mit || n == strings.ToLower(e.windows) {
			return e.id, true
		}
		for _, a := range e.aliases {
			if n == a {
				return e.id, true
			}
		}
	}
	return 0, false
}

// IsRC4 reports whether an encryption type is one of the RC4 family, which
// Windows moved away from as the default in 2026 (CVE-2026-20833).
func IsRC4(id int32) bool {
	switch id {
	case 23, 24, -128, -133, -135, -140, -141, -142:
		return true
	}
	return false
}

// IsDES reports whether an encryption type is single DES (disabled by
// default since Windows 7 / Server 2008 R2).
func IsDES(id int32) bool { return id >= 1 && id <= 3 }
