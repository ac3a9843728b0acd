package negotiate

// Visibility is what an observer on the network path can read from a token.
type Visibility struct {
	Summary     string
	Mechanism   string
	User        string `json:",omitempty"`
	Domain      string `json:",omitempty"`
	Workstation string `json:",omitempty"`
	Realm       string `json:",omitempty"`
	SPN         string `json:",omitempty"`
	EncType     string `json:",omitempty"`
	KVNO        int    `json:",omitempty"`
	// ClientIdentityVisible reports whether the client's user name can be read.
	ClientIdentityVisible bool
}

// Visible returns what an observer can read from t.
func (t *Token) Visible() Visibility { return Visibility{} }

// Mechanism names the authentication mechanism of t.
func (t *Token) Mechanism() string { return "" }
