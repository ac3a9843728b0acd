package negotiate

// DecodeToken decodes a Negotiate, Kerberos or NTLM token.
func DecodeToken(b []byte) (*Token, error) {
	return nil, &DecodeError{Offset: 0, Err: ErrUnknownToken}
}
