package imap

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
)

// maxFolderName is the longest folder name, in bytes, an id may carry.
const maxFolderName = 512

// folderID returns the id of a folder: base64url of its name.
func folderID(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}

// parseFolderID decodes a folder id. Anything that folderID cannot have
// produced (another base64 spelling, bytes that are not UTF-8, control
// characters, an empty or over-long name) is refused, so every folder has
// exactly one id and no id smuggles bytes into a command.
func parseFolderID(id string) (string, bool) {
	if id == "" || len(id) > base64.RawURLEncoding.EncodedLen(maxFolderName) {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil || len(b) == 0 || base64.RawURLEncoding.EncodeToString(b) != id {
		return "", false
	}
	name := string(b)
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return "", false
	}
	return name, true
}

// msgRef names a message: folder, UIDVALIDITY and UID.
type msgRef struct {
	folder   string
	validity uint32
	uid      imap.UID
}

// id returns the message id "<folderID>.<uidvalidity>.<uid>".
func (r msgRef) id() string {
	return folderID(r.folder) + "." + strconv.FormatUint(uint64(r.validity), 10) + "." + strconv.FormatUint(uint64(r.uid), 10)
}

// parseMessageID decodes a message id made by msgRef.id; numbers must be
// canonical and not 0.
func parseMessageID(id string) (msgRef, bool) {
	parts := strings.Split(id, ".")
	if len(parts) != 3 {
		return msgRef{}, false
	}
	folder, ok := parseFolderID(parts[0])
	if !ok {
		return msgRef{}, false
	}
	v, ok := parseNum(parts[1])
	if !ok {
		return msgRef{}, false
	}
	u, ok := parseNum(parts[2])
	if !ok {
		return msgRef{}, false
	}
	return msgRef{folder: folder, validity: v, uid: imap.UID(u)}, true
}

func parseNum(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != s {
		return 0, false
	}
	return uint32(n), true
}

// maxPartDepth is the deepest MIME part an attachment id may name.
const maxPartDepth = 16

// parsePartID decodes an attachment id: a MIME part path such as "2" or
// "1.3", each number canonical, 1 to 9999.
func parsePartID(id string) ([]int, bool) {
	parts := strings.Split(id, ".")
	if len(parts) > maxPartDepth {
		return nil, false
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, ok := parseNum(p)
		if !ok || n > 9999 {
			return nil, false
		}
		out[i] = int(n)
	}
	return out, true
}

func partID(path []int) string {
	s := make([]string, len(path))
	for i, n := range path {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}
