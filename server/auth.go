package server

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// scramIterations is the PBKDF2 iteration count (PostgreSQL's default).
const scramIterations = 4096

// scramUsers holds the SCRAM-SHA-256 verifiers of the users file. Salted
// passwords are derived once at load; plain passwords are not kept.
type scramUsers struct {
	users map[string]scramVerifier
	// fake answers unknown users so that they cannot be told apart.
	fake scramVerifier
}

type scramVerifier struct {
	salt                 []byte
	storedKey, serverKey []byte
}

func newVerifier(password string) (scramVerifier, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return scramVerifier{}, err
	}
	clientKey := hmacSum(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return scramVerifier{salt: salt, storedKey: stored[:], serverKey: hmacSum(salted, "Server Key")}, nil
}

func hmacSum(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// loadUsers reads a users file of "user:password" lines.
func loadUsers(path string) (*scramUsers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: users file: %w", err)
	}
	u := &scramUsers{users: make(map[string]scramVerifier)}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, password, ok := strings.Cut(text, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("server: users file %s:%d: want user:password", path, line)
		}
		if u.users[name], err = newVerifier(password); err != nil {
			return nil, err
		}
	}
	if u.fake, err = newVerifier(rand.Text()); err != nil {
		return nil, err
	}
	return u, nil
}

var errSCRAM = errors.New("server: SCRAM authentication failed")

// authSCRAM runs a SCRAM-SHA-256 exchange (RFC 5802/7677, no channel
// binding) for user.
func (c *conn) authSCRAM(user string) error {
	v, known := c.srv.scram.users[user]
	if !known {
		v = c.srv.scram.fake
	}
	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	if err := c.flush(); err != nil {
		return err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return err
	}
	initial, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok || initial.AuthMechanism != "SCRAM-SHA-256" {
		return fmt.Errorf("%w: unexpected %T", errSCRAM, msg)
	}
	// client-first-message: gs2-header "n,," or "y,," then n=user,r=nonce.
	clientFirst := string(initial.Data)
	gs2, bare, ok := cutGS2(clientFirst)
	if !ok {
		return fmt.Errorf("%w: malformed client-first-message", errSCRAM)
	}
	clientNonce := scramAttr(bare, 'r')
	if clientNonce == "" {
		return fmt.Errorf("%w: no client nonce", errSCRAM)
	}
	nonce := clientNonce + rand.Text()
	serverFirst := fmt.Sprintf("r=%s,s=%s,i=%d", nonce, base64.StdEncoding.EncodeToString(v.salt), scramIterations)
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := c.flush(); err != nil {
		return err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return err
	}
	msg, err = c.be.Receive()
	if err != nil {
		return err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return fmt.Errorf("%w: unexpected %T", errSCRAM, msg)
	}
	clientFinal := string(resp.Data)
	i := strings.LastIndex(clientFinal, ",p=")
	if i < 0 {
		return fmt.Errorf("%w: no proof", errSCRAM)
	}
	withoutProof := clientFinal[:i]
	if scramAttr(withoutProof, 'r') != nonce ||
		scramAttr(withoutProof, 'c') != base64.StdEncoding.EncodeToString([]byte(gs2)) {
		return fmt.Errorf("%w: nonce or channel binding mismatch", errSCRAM)
	}
	proof, err := base64.StdEncoding.DecodeString(clientFinal[i+3:])
	if err != nil || len(proof) != sha256.Size {
		return fmt.Errorf("%w: bad proof encoding", errSCRAM)
	}
	authMessage := bare + "," + serverFirst + "," + withoutProof
	clientSig := hmacSum(v.storedKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for j := range clientKey {
		clientKey[j] = proof[j] ^ clientSig[j]
	}
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], v.storedKey) != 1 || !known {
		return fmt.Errorf("%w: wrong password", errSCRAM)
	}
	serverSig := hmacSum(v.serverKey, authMessage)
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
	return nil
}

// cutGS2 splits a client-first-message into its GS2 header (with the
// trailing comma) and the bare message. Channel binding ("p=") is refused
// since only SCRAM-SHA-256 without -PLUS is offered.
func cutGS2(msg string) (gs2, bare string, ok bool) {
	if !strings.HasPrefix(msg, "n,") && !strings.HasPrefix(msg, "y,") {
		return "", "", false
	}
	j := strings.Index(msg[2:], ",")
	if j < 0 {
		return "", "", false
	}
	return msg[:2+j+1], msg[2+j+1:], true
}

// scramAttr returns the value of attribute key in a SCRAM message.
func scramAttr(msg string, key byte) string {
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[0] == key && part[1] == '=' {
			return part[2:]
		}
	}
	return ""
}
