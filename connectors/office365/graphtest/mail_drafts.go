package graphtest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The drafts and replies part of the mail fake (Graph v1.0 message
// resource): PATCH of a message (isRead, categories, and on drafts the
// content: subject, body, recipients, replyTo, importance),
// POST createReply and createReplyAll (a draft in Drafts, in the parent's
// conversation, with In-Reply-To and References set from the parent),
// DELETE of a message (204, gone for good from the fake) and the
// attachments collection of a message (list, add a fileAttachment, delete
// one). The fake's own choices: a createReply whose message carries a body
// takes that body as it is; without one the draft's HTML body is the
// comment followed by the parent's body in a blockquote.

func (s *Server) draftRoutes() {
	s.mux.HandleFunc("PATCH /v1.0/me/messages/{id}", s.handlePatchMail)
	s.mux.HandleFunc("DELETE /v1.0/me/messages/{id}", s.handleDeleteMessage)
	s.mux.HandleFunc("POST /v1.0/me/messages/{id}/createReply", s.handleCreateReply)
	s.mux.HandleFunc("POST /v1.0/me/messages/{id}/createReplyAll", s.handleCreateReply)
	s.mux.HandleFunc("GET /v1.0/me/messages/{id}/attachments", s.handleListAttachments)
	s.mux.HandleFunc("POST /v1.0/me/messages/{id}/attachments", s.handleAddAttachment)
	s.mux.HandleFunc("DELETE /v1.0/me/messages/{id}/attachments/{aid}", s.handleDeleteAttachment)
}

// messagePatch is the body of PATCH /me/messages/{id}: every writable
// property the fake knows; nil is "not sent".
type messagePatch struct {
	IsRead     *bool     `json:"isRead"`
	Categories *[]string `json:"categories"`
	Importance *string   `json:"importance"`
	// Draft-only properties.
	Subject *string `json:"subject"`
	Body    *struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	ToRecipients  *[]jsonRecipient `json:"toRecipients"`
	CcRecipients  *[]jsonRecipient `json:"ccRecipients"`
	BccRecipients *[]jsonRecipient `json:"bccRecipients"`
	ReplyTo       *[]jsonRecipient `json:"replyTo"`
}

func (p messagePatch) draftOnly() bool {
	return p.Subject != nil || p.Body != nil || p.ToRecipients != nil || p.CcRecipients != nil || p.BccRecipients != nil ||
		p.ReplyTo != nil
}

// handlePatchMail is PATCH /me/messages/{id}: 200 with the message. The
// content of a message that is not a draft cannot change (400
// ErrorInvalidPropertyUpdateSentMessage, as Exchange answers).
func (s *Server) handlePatchMail(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	var patch messagePatch
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&patch); err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Empty Payload. JSON content expected.")
		return
	}
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	if !ok {
		s.mu.Unlock()
		return
	}
	if patch.draftOnly() && !m.IsDraft {
		s.mu.Unlock()
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidPropertyUpdateSentMessage", "Update operation is not allowed on a sent message.")
		return
	}
	if patch.IsRead != nil {
		m.IsRead = *patch.IsRead
	}
	if patch.Categories != nil {
		m.Categories = slices.Clone(*patch.Categories)
	}
	if patch.Importance != nil {
		m.Importance = strings.ToLower(*patch.Importance)
	}
	if patch.Subject != nil {
		m.Subject = *patch.Subject
	}
	if patch.Body != nil {
		m.Body, m.BodyIsHTML = patch.Body.Content, !strings.EqualFold(patch.Body.ContentType, "text")
	}
	for _, f := range []struct {
		in  *[]jsonRecipient
		out *[]Recipient
	}{{patch.ToRecipients, &m.To}, {patch.CcRecipients, &m.Cc}, {patch.BccRecipients, &m.Bcc}, {patch.ReplyTo, &m.ReplyTo}} {
		if f.in != nil {
			*f.out = recipients(*f.in)
		}
	}
	mb.touch(m, s.opts.Now())
	s.notifyMessage(c.User.ObjectID, m, "updated", m.Folder)
	out := s.messageJSON(mb, m, nil, "", false)
	s.mu.Unlock()
	writeGraphJSON(w, r, http.StatusOK, out)
}

// handleDeleteMessage is DELETE /me/messages/{id}: 204.
func (s *Server) handleDeleteMessage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	if ok {
		delete(mb.messages, m.ID)
		mb.seq++
		mb.removed = append(mb.removed, removal{id: m.ID, folderID: m.Folder, seq: mb.seq})
		s.notifyMessage(c.User.ObjectID, m, "deleted", m.Folder)
	}
	s.mu.Unlock()
	if ok {
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleCreateReply is POST /me/messages/{id}/createReply and
// createReplyAll with an optional {"comment", "message"} body: 201 with
// the new draft.
func (s *Server) handleCreateReply(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	all := strings.HasSuffix(r.URL.Path, "/createReplyAll")
	var body struct {
		Comment string           `json:"comment"`
		Message *outgoingMessage `json:"message"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid JSON payload.")
			return
		}
	}
	if body.Comment != "" && body.Message != nil && body.Message.Body.Content != "" {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRequest", "Specify either a comment or the body property of the message parameter.")
		return
	}
	if body.Message != nil {
		for _, h := range body.Message.Headers {
			if !strings.HasPrefix(strings.ToLower(h.Name), "x-") {
				WriteError(w, r, http.StatusBadRequest, "InvalidInternetMessageHeader", "The internet message header name '"+h.Name+"' should start with 'x-' or 'X-'.")
				return
			}
		}
	}
	s.mu.Lock()
	mb, parent, ok := s.messageLocked(w, r, c.User.ObjectID)
	if !ok {
		s.mu.Unlock()
		return
	}
	me := strings.ToLower(c.User.Mail)
	d := Message{ID: newGraphID("AAkALgAA"), ConversationID: parent.ConversationID, Folder: mb.folderID("drafts"),
		From: Recipient{Name: c.User.DisplayName, Address: c.User.Mail}, IsDraft: true, IsRead: true,
		Subject: "RE: " + parent.Subject, BodyIsHTML: true, Headers: map[string]string{}}
	if len(parent.ReplyTo) > 0 {
		d.To = slices.Clone(parent.ReplyTo)
	} else {
		d.To = []Recipient{parent.From}
	}
	if all {
		for _, rc := range parent.To {
			if !strings.EqualFold(rc.Address, me) && !slices.ContainsFunc(d.To, func(x Recipient) bool { return strings.EqualFold(x.Address, rc.Address) }) {
				d.To = append(d.To, rc)
			}
		}
		for _, rc := range parent.Cc {
			if !strings.EqualFold(rc.Address, me) {
				d.Cc = append(d.Cc, rc)
			}
		}
	}
	quoted := parent.Body
	if !parent.BodyIsHTML {
		quoted = "<pre>" + htmlEscape(parent.Body) + "</pre>"
	}
	d.Body = body.Comment + "<hr><blockquote>" + quoted + "</blockquote>"
	refs := strings.TrimSpace(parent.Headers["References"] + " " + parent.InternetMsgID)
	d.Headers["In-Reply-To"], d.Headers["References"] = parent.InternetMsgID, refs
	if om := body.Message; om != nil {
		if om.Subject != "" {
			d.Subject = om.Subject
		}
		if om.Body.Content != "" {
			d.Body, d.BodyIsHTML = om.Body.Content, !strings.EqualFold(om.Body.ContentType, "text")
		}
		for _, f := range []struct {
			in  []jsonRecipient
			out *[]Recipient
		}{{om.ToRecipients, &d.To}, {om.CcRecipients, &d.Cc}, {om.BccRecipients, &d.Bcc}, {om.ReplyTo, &d.ReplyTo}} {
			if len(f.in) > 0 {
				*f.out = recipients(f.in)
			}
		}
		d.Categories = om.Categories
		for _, h := range om.Headers {
			d.Headers[h.Name] = h.Value
		}
		for _, a := range om.Attachments {
			d.Attachments = append(d.Attachments, Attachment{ID: newGraphID("AAMkAGAtt"), Name: a.Name, ContentType: a.ContentType,
				Inline: a.IsInline, ContentID: a.ContentID, Content: a.ContentBytes})
		}
	}
	d.ReceivedAt = s.opts.Now().UTC().Truncate(time.Second)
	d.SentAt = d.ReceivedAt
	d.InternetMsgID = "<" + strings.TrimSuffix(d.ID[8:24], "=") + "@contoso.example>"
	mb.touch(&d, s.opts.Now())
	mb.messages[d.ID] = &d
	s.notifyMessage(c.User.ObjectID, &d, "created", "")
	out := s.messageJSON(mb, &d, nil, "", false)
	s.mu.Unlock()
	writeGraphJSON(w, r, http.StatusCreated, out)
}

func attachmentJSON(a Attachment) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "id": a.ID, "name": a.Name,
		"contentType": a.ContentType, "size": len(a.Content), "isInline": a.Inline, "contentId": a.ContentID,
		"contentBytes": base64.StdEncoding.EncodeToString(a.Content)}
}

// handleListAttachments is GET /me/messages/{id}/attachments.
func (s *Server) handleListAttachments(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, readScopes...)
	if !ok {
		return
	}
	s.mu.Lock()
	_, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	list := []map[string]any{}
	if ok {
		for _, a := range m.Attachments {
			list = append(list, attachmentJSON(a))
		}
	}
	s.mu.Unlock()
	if ok {
		writeGraphJSON(w, r, http.StatusOK, map[string]any{"value": list})
	}
}

// handleAddAttachment is POST /me/messages/{id}/attachments with a
// fileAttachment: 201 with it.
func (s *Server) handleAddAttachment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	var a struct {
		ODataType    string `json:"@odata.type"`
		Name         string `json:"name"`
		ContentType  string `json:"contentType"`
		IsInline     bool   `json:"isInline"`
		ContentID    string `json:"contentId"`
		ContentBytes []byte `json:"contentBytes"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&a); err != nil {
		WriteError(w, r, http.StatusBadRequest, "BadRequest", "Invalid JSON payload.")
		return
	}
	if a.ODataType != "#microsoft.graph.fileAttachment" {
		WriteError(w, r, http.StatusBadRequest, "ErrorInvalidRequest", "Only file attachments are supported by the fake.")
		return
	}
	if a.Name == "" {
		WriteError(w, r, http.StatusBadRequest, "ErrorRequiredPropertyMissing", "Required property is missing: name.")
		return
	}
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	var out map[string]any
	if ok {
		att := Attachment{ID: newGraphID("AAMkAGAtt"), Name: a.Name, ContentType: a.ContentType, Inline: a.IsInline,
			ContentID: a.ContentID, Content: a.ContentBytes}
		m.Attachments = append(m.Attachments, att)
		mb.touch(m, s.opts.Now())
		s.notifyMessage(c.User.ObjectID, m, "updated", m.Folder)
		out = attachmentJSON(att)
	}
	s.mu.Unlock()
	if ok {
		writeGraphJSON(w, r, http.StatusCreated, out)
	}
}

// handleDeleteAttachment is DELETE /me/messages/{id}/attachments/{aid}:
// 204.
func (s *Server) handleDeleteAttachment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.mailCaller(w, r, "Mail.ReadWrite")
	if !ok {
		return
	}
	s.mu.Lock()
	mb, m, ok := s.messageLocked(w, r, c.User.ObjectID)
	found := false
	if ok {
		i := slices.IndexFunc(m.Attachments, func(a Attachment) bool { return a.ID == r.PathValue("aid") })
		if i >= 0 {
			found = true
			m.Attachments = slices.Delete(m.Attachments, i, i+1)
			mb.touch(m, s.opts.Now())
			s.notifyMessage(c.User.ObjectID, m, "updated", m.Folder)
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
	case !found:
		WriteError(w, r, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// bodyPreview is Graph's bodyPreview: the body as text (an HTML body with
// a space for each tag, so that words of adjacent blocks stay apart),
// whitespace collapsed, at most 255 characters.
func bodyPreview(m *Message) string {
	if !m.BodyIsHTML {
		return preview(m.Body)
	}
	return preview(stripTags(strings.NewReplacer("<", " <").Replace(m.Body)))
}
