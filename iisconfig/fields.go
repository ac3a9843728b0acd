package iisconfig

// field numbers the effective values whose origin is tracked.
type field uint8

const (
	fWinEnabled field = iota
	fWinProviders
	fWinKernel
	fWinAppPoolCreds
	fWinPersistNonNTLM
	fWinPersistSingle
	fEPTokenChecking
	fEPFlags
	fEPSPNs
	fAnonEnabled
	fAnonUser
	fBasicEnabled
	fDigestEnabled
	numFields
)

// Section names as they appear in the configuration.
const (
	secWindows   = "windowsAuthentication"
	secAnonymous = "anonymousAuthentication"
	secBasic     = "basicAuthentication"
	secDigest    = "digestAuthentication"
)

// fieldNames maps each field to its section and attribute name as accepted by
// Settings.Origin. Collections use the element name.
var fieldNames = [numFields]struct{ section, attr string }{
	fWinEnabled:        {secWindows, "enabled"},
	fWinProviders:      {secWindows, "providers"},
	fWinKernel:         {secWindows, "useKernelMode"},
	fWinAppPoolCreds:   {secWindows, "useAppPoolCredentials"},
	fWinPersistNonNTLM: {secWindows, "authPersistNonNTLM"},
	fWinPersistSingle:  {secWindows, "authPersistSingleRequest"},
	fEPTokenChecking:   {secWindows, "extendedProtection/tokenChecking"},
	fEPFlags:           {secWindows, "extendedProtection/flags"},
	fEPSPNs:            {secWindows, "extendedProtection/spn"},
	fAnonEnabled:       {secAnonymous, "enabled"},
	fAnonUser:          {secAnonymous, "userName"},
	fBasicEnabled:      {secBasic, "enabled"},
	fDigestEnabled:     {secDigest, "enabled"},
}

// lookupField finds the field for a section and attribute name. Attribute
// names are matched case-insensitively, and "extendedProtection.flags" is
// accepted beside "extendedProtection/flags".
func lookupField(section, attr string) (field, bool) {
	for f, n := range fieldNames {
		if equalFold(n.section, section) && (equalFold(n.attr, attr) || equalFold(n.attr, replaceDot(attr))) {
			return field(f), true
		}
	}
	if equalFold(section, secWindows) && (equalFold(attr, "extendedProtection/spns") || equalFold(attr, "extendedProtection.spns")) {
		return fEPSPNs, true
	}
	return 0, false
}

func replaceDot(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '.' {
			b[i] = '/'
		}
	}
	return string(b)
}

// Origin returns where the effective value of attr in section came from, for
// example s.Origin("windowsAuthentication", "authPersistNonNTLM"). Collections
// are named by element: "providers", "extendedProtection/spn"; extended
// protection attributes are "extendedProtection/tokenChecking" and
// "extendedProtection/flags". An unknown name yields an Origin of kind NoOrigin.
func (s *Settings) Origin(section, attr string) Origin {
	f, ok := lookupField(section, attr)
	if !ok {
		return Origin{}
	}
	return s.origins[f].origin()
}
