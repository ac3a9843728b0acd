package iisconfig

// value is one effective scalar value.
type value struct {
	b bool
	s string
}

// Schema holds the schema defaults used when neither the server level nor
// any <location> sets a value. [DefaultSchema] gives the built-in IIS 10
// defaults; [LoadSchema] reads them from Microsoft's schema files.
type Schema struct {
	source       string
	vals         [numFields]value
	poolIdentity IdentityType
	poolRuntime  string
	poolPipeline string
	poolAuto     bool
}

// DefaultSchema returns the built-in defaults, taken from IIS 10's
// IIS_schema.xml (%windir%\System32\inetsrv\config\schema): windowsAuthentication
// enabled=false, useKernelMode=true, useAppPoolCredentials=false,
// authPersistNonNTLM=false, authPersistSingleRequest=false, extendedProtection
// tokenChecking=None flags=None; anonymousAuthentication enabled=true
// userName=IUSR; basic and digest disabled; application pools
// identityType=ApplicationPoolIdentity, managedPipelineMode=Integrated,
// autoStart=true, managedRuntimeVersion "".
func DefaultSchema() *Schema {
	s := &Schema{
		source:       "built-in IIS 10 schema defaults",
		poolIdentity: ApplicationPoolIdentity,
		poolPipeline: "Integrated",
		poolAuto:     true,
	}
	s.vals[fWinKernel].b = true
	s.vals[fEPTokenChecking].s = "None"
	s.vals[fEPFlags].s = "None"
	s.vals[fAnonEnabled].b = true
	s.vals[fAnonUser].s = "IUSR"
	return s
}

// Source describes where the defaults came from ("built-in IIS 10 schema
// defaults" or the schema directory).
func (s *Schema) Source() string { return s.source }

// DefaultIdentityType returns the application pool identity used when neither
// a pool nor <applicationPoolDefaults> sets one (ApplicationPoolIdentity on
// IIS 7.5 and later, NetworkService on IIS 7.0).
func (s *Schema) DefaultIdentityType() IdentityType { return s.poolIdentity }
