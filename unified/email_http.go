package unified

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/aurinko-go/aurinko/apierr"
	"github.com/aurinko-go/aurinko/unified/email"
)

// maxStatusBody bounds the JSON body of a status update.
const maxStatusBody = 64 << 10

// maxRawMessage bounds a raw message streamed to the client.
const maxRawMessage = 150 << 20

func (h *Handler) registerEmail(mux *http.ServeMux, prefix string) {
	p := prefix + "/email"
	mux.HandleFunc("GET "+p+"/messages", h.listMessages)
	mux.HandleFunc("POST "+p+"/messages", h.sendMessage)
	mux.HandleFunc("GET "+p+"/messages/{id}", h.getMessage)
	mux.HandleFunc("DELETE "+p+"/messages/{id}", h.trashMessage)
	mux.HandleFunc("GET "+p+"/messages/{id}/raw", h.rawMessage)
	mux.HandleFunc("POST "+p+"/messages/{id}/status", h.updateMessage)
	mux.HandleFunc("GET "+p+"/messages/{id}/attachments/{attId}", h.getAttachment)
	mux.HandleFunc("GET "+p+"/folders", h.listFolders)
	mux.HandleFunc("GET "+p+"/folders/wellKnown", h.wellKnownFolders)
	mux.HandleFunc("GET "+p+"/folders/{folderId}/messages", h.listMessages)
	mux.HandleFunc("POST "+p+"/sync", h.startSync)
	mux.HandleFunc("GET "+p+"/sync/updated", h.syncUpdated)
	mux.HandleFunc("GET "+p+"/sync/deleted", h.syncDeleted)
	mux.HandleFunc("POST "+p+"/messages/{id}/reply", h.replyMessage)
	mux.HandleFunc("GET "+p+"/conversations/{threadId}", h.conversation)
	mux.HandleFunc("POST "+p+"/drafts", h.createDraft)
	mux.HandleFunc("GET "+p+"/drafts/{draftId}", h.getDraft)
	mux.HandleFunc("PUT "+p+"/drafts/{draftId}", h.updateDraft)
	mux.HandleFunc("DELETE "+p+"/drafts/{draftId}", h.deleteDraft)
	mux.HandleFunc("POST "+p+"/drafts/{draftId}/send", h.sendDraft)
}

// ref is the account of the request's principal.
func (h *Handler) ref(r *http.Request) (AccountRef, error) {
	p, err := h.account(r)
	if err != nil {
		return AccountRef{}, err
	}
	return AccountRef{AppID: p.AppID, UserID: p.UserID, AccountID: p.AccountID}, nil
}

func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apierr.New(apierr.InvalidInput, "%s must be true or false", name)
	}
	return b, nil
}

func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, apierr.New(apierr.InvalidInput, "%s must be a positive integer", name)
	}
	return n, nil
}

func queryBodyType(r *http.Request) (email.BodyType, error) {
	bt, ok := email.ParseBodyType(r.URL.Query().Get("bodyType"))
	if !ok {
		return "", apierr.New(apierr.InvalidInput, "bodyType must be html or text")
	}
	return bt, nil
}

// GET /email/messages and /email/folders/{folderId}/messages.
func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (MessagePage, error) {
		p := MessageList{Q: r.URL.Query().Get("q"), PageToken: r.URL.Query().Get("pageToken"), FolderID: r.PathValue("folderId")}
		var err error
		if p.Limit, err = queryInt(r, "limit"); err != nil {
			return MessagePage{}, err
		}
		if p.BodyType, err = queryBodyType(r); err != nil {
			return MessagePage{}, err
		}
		if p.IncludeTrashAndJunk, err = queryBool(r, "includeTrashAndJunk"); err != nil {
			return MessagePage{}, err
		}
		return h.Email().ListMessages(r.Context(), ref, p)
	})
}

// GET /email/messages/{id}.
func (h *Handler) getMessage(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (email.Message, error) {
		opts, err := getOptions(r)
		if err != nil {
			return email.Message{}, err
		}
		return h.Email().GetMessage(r.Context(), ref, r.PathValue("id"), opts)
	})
}

// getOptions reads bodyType and loadInlines.
func getOptions(r *http.Request) (email.GetOptions, error) {
	var opts email.GetOptions
	var err error
	if opts.BodyType, err = queryBodyType(r); err != nil {
		return opts, err
	}
	opts.LoadInlines, err = queryBool(r, "loadInlines")
	return opts, err
}

// GET /email/messages/{id}/raw: the RFC 822 message as text/plain (the
// spec's content type), never sniffed as HTML by browsers.
func (h *Handler) rawMessage(w http.ResponseWriter, r *http.Request) {
	ref, err := h.ref(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rc, err := h.Email().RawMessage(r.Context(), ref, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, io.LimitReader(rc, maxRawMessage))
}

// POST /email/messages: send; 201 with the ids when known.
func (h *Handler) sendMessage(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusCreated, func(ref AccountRef) (SendResponse, error) {
		msg, err := h.outgoing(w, r)
		if err != nil {
			return SendResponse{}, err
		}
		return h.Email().SendMessage(r.Context(), ref, msg)
	})
}

// outgoing reads the bodyType and returnIds parameters and the
// OutgoingEmail body of a send or reply.
func (h *Handler) outgoing(w http.ResponseWriter, r *http.Request) (email.OutgoingMessage, error) {
	var msg email.OutgoingMessage
	var err error
	if msg.BodyType, err = queryBodyType(r); err != nil {
		return msg, err
	}
	if msg.ReturnIDs, err = queryBool(r, "returnIds"); err != nil {
		return msg, err
	}
	bt, ids := msg.BodyType, msg.ReturnIDs
	if err := h.decode(w, r, h.maxSend, &msg); err != nil {
		return msg, err
	}
	msg.BodyType, msg.ReturnIDs = bt, ids
	return msg, nil
}

// decode reads a JSON body of at most limit bytes; a larger one is 413.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.Wrap(err, apierr.TooLarge, "the request body is too large")
		}
		return apierr.Wrap(err, apierr.InvalidInput, "the request body is not valid JSON for this endpoint")
	}
	if dec.More() {
		return apierr.New(apierr.InvalidInput, "the request body has trailing data")
	}
	return nil
}

type okResponse struct {
	Status string `json:"status"`
}

// POST /email/messages/{id}/status.
func (h *Handler) updateMessage(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
		upd, err := body[email.StatusUpdate](h, w, r, maxStatusBody)
		if err != nil {
			return okResponse{}, err
		}
		return okResponse{Status: "Ok"}, h.Email().UpdateMessage(r.Context(), ref, r.PathValue("id"), upd)
	})
}

// DELETE /email/messages/{id}: to the trash.
func (h *Handler) trashMessage(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
		return okResponse{Status: "Ok"}, h.Email().TrashMessage(r.Context(), ref, r.PathValue("id"))
	})
}

// GET /email/messages/{id}/attachments/{attId}.
func (h *Handler) getAttachment(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (email.Attachment, error) {
		return h.Email().GetAttachment(r.Context(), ref, r.PathValue("id"), r.PathValue("attId"))
	})
}

// GET /email/folders.
func (h *Handler) listFolders(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (FolderPage, error) {
		return h.Email().ListFolders(r.Context(), ref, r.URL.Query().Get("pageToken"))
	})
}

// GET /email/folders/wellKnown.
func (h *Handler) wellKnownFolders(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (email.WellKnownFolders, error) {
		return h.Email().WellKnownFolders(r.Context(), ref)
	})
}

// POST /email/sync.
func (h *Handler) startSync(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (SyncStatus, error) {
		days, err := queryInt(r, "daysWithin")
		if err != nil {
			return SyncStatus{}, err
		}
		bt, err := queryBodyType(r)
		if err != nil {
			return SyncStatus{}, err
		}
		return h.Email().StartSync(r.Context(), ref, days, bt)
	})
}

// GET /email/sync/updated.
func (h *Handler) syncUpdated(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (MessagePage, error) {
		q := r.URL.Query()
		return h.Email().SyncUpdated(r.Context(), ref, q.Get("deltaToken"), q.Get("pageToken"))
	})
}

// GET /email/sync/deleted.
func (h *Handler) syncDeleted(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (DeletedPage, error) {
		q := r.URL.Query()
		return h.Email().SyncDeleted(r.Context(), ref, q.Get("deltaToken"), q.Get("pageToken"))
	})
}

// POST /email/messages/{id}/reply?bodyType&returnIds&replyAll: 200 with
// the EmailSendResponse. The body is an OutgoingEmailReply; replyAll
// (not in the Aurinko spec) fills the recipients of a reply without any
// with the parent's other recipients too.
func (h *Handler) replyMessage(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (SendResponse, error) {
		all, err := queryBool(r, "replyAll")
		if err != nil {
			return SendResponse{}, err
		}
		msg, err := h.outgoing(w, r)
		if err != nil {
			return SendResponse{}, err
		}
		return h.Email().Reply(r.Context(), ref, r.PathValue("id"), msg, all)
	})
}

// GET /email/conversations/{threadId}?bodyType&pageToken&limit.
func (h *Handler) conversation(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (MessagePage, error) {
		p := ConversationList{PageToken: r.URL.Query().Get("pageToken")}
		var err error
		if p.Limit, err = queryInt(r, "limit"); err != nil {
			return MessagePage{}, err
		}
		if p.BodyType, err = queryBodyType(r); err != nil {
			return MessagePage{}, err
		}
		return h.Email().Conversation(r.Context(), ref, r.PathValue("threadId"), p)
	})
}

// outgoingDraft reads the bodyType parameter and the OutgoingEmail body of
// a draft write.
func (h *Handler) outgoingDraft(w http.ResponseWriter, r *http.Request) (email.OutgoingMessage, error) {
	var msg email.OutgoingMessage
	bt, err := queryBodyType(r)
	if err != nil {
		return msg, err
	}
	if err := h.decode(w, r, h.maxSend, &msg); err != nil {
		return msg, err
	}
	msg.BodyType = bt
	return msg, nil
}

// POST /email/drafts?bodyType: 200 with the EmailDraftResponse.
func (h *Handler) createDraft(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (email.Draft, error) {
		msg, err := h.outgoingDraft(w, r)
		if err != nil {
			return email.Draft{}, err
		}
		return h.Email().CreateDraft(r.Context(), ref, msg)
	})
}

// GET /email/drafts/{draftId}?bodyType&loadInlines: the EmailDraft.
func (h *Handler) getDraft(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (DraftMessage, error) {
		opts, err := getOptions(r)
		if err != nil {
			return DraftMessage{}, err
		}
		return h.Email().GetDraft(r.Context(), ref, r.PathValue("draftId"), opts)
	})
}

// PUT /email/drafts/{draftId}?bodyType: 200 with the EmailDraftResponse.
func (h *Handler) updateDraft(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (email.Draft, error) {
		msg, err := h.outgoingDraft(w, r)
		if err != nil {
			return email.Draft{}, err
		}
		return h.Email().UpdateDraft(r.Context(), ref, r.PathValue("draftId"), msg)
	})
}

// DELETE /email/drafts/{draftId}: 200 {"status":"Ok"}.
func (h *Handler) deleteDraft(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (okResponse, error) {
		return okResponse{Status: "Ok"}, h.Email().DeleteDraft(r.Context(), ref, r.PathValue("draftId"))
	})
}

// POST /email/drafts/{draftId}/send: 200 with the EmailDraftSendResponse.
// Scheduled sending (sendTime) is not supported (400); the optional
// DraftSendDetails body (tracking) is read and ignored.
func (h *Handler) sendDraft(w http.ResponseWriter, r *http.Request) {
	serve(h, w, r, http.StatusOK, func(ref AccountRef) (DraftSendResponse, error) {
		if r.URL.Query().Get("sendTime") != "" {
			return DraftSendResponse{}, apierr.New(apierr.InvalidInput, "scheduled sending (sendTime) is not supported")
		}
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxStatusBody))
		return h.Email().SendDraft(r.Context(), ref, r.PathValue("draftId"))
	})
}
