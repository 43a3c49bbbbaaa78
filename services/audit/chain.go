package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/proto"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
)

// ZeroHash is the prev_hash of the first record of a log.
var ZeroHash = make([]byte, sha256.Size)

// canonical is the deterministic protobuf encoding the hash covers.
var canonical = proto.MarshalOptions{Deterministic: true}

// Seal assigns rec its place in the chain: it sets the sequence number and
// returns the canonical bytes to store and the record's hash,
// SHA-256(prev || canonical bytes), where the canonical bytes are the
// deterministic encoding with prev_hash and hash cleared. rec is left with
// sequence, prev_hash and hash set.
func Seal(rec *auditv1.CallRecord, seq int64, prev []byte) (stored, hash []byte, err error) {
	rec.Sequence, rec.PrevHash, rec.Hash = seq, nil, nil
	stored, err = canonical.Marshal(rec)
	if err != nil {
		return nil, nil, fmt.Errorf("encode call record %s: %w", rec.GetId(), err)
	}
	hash = chainHash(prev, stored)
	rec.PrevHash, rec.Hash = prev, hash
	return stored, hash, nil
}

// SealAction is Seal for an admin action.
func SealAction(a *auditv1.AdminAction, seq int64, prev []byte) (stored, hash []byte, err error) {
	a.Sequence, a.PrevHash, a.Hash = seq, nil, nil
	stored, err = canonical.Marshal(a)
	if err != nil {
		return nil, nil, fmt.Errorf("encode admin action %s: %w", a.GetId(), err)
	}
	hash = chainHash(prev, stored)
	a.PrevHash, a.Hash = prev, hash
	return stored, hash, nil
}

func chainHash(prev, stored []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(stored)
	return h.Sum(nil)
}

// ChainRow is one stored link of a log, as the store read it back: the
// stored bytes, the chain fields, and the columns the store keeps next to
// them for queries (which must agree with the bytes).
type ChainRow struct {
	Seq      int64
	ID       string
	Stored   []byte
	PrevHash []byte
	Hash     []byte
	// Columns are the row's query columns; nil for logs whose rows carry
	// none beyond ID.
	Columns *Columns
}

// Verifier checks a log's rows in sequence order, one at a time.
type Verifier struct {
	log     auditv1.AuditLog
	res     *auditv1.VerifyChainResponse
	prev    []byte // hash of the last good row; nil before the first
	lastSeq int64
	done    bool
}

// NewVerifier starts verifying log from the from sequence number.
func NewVerifier(log auditv1.AuditLog) *Verifier {
	return &Verifier{log: log, res: &auditv1.VerifyChainResponse{Ok: true}}
}

// Check verifies the next row; it returns false once a row failed (later
// rows are then not looked at).
func (v *Verifier) Check(r ChainRow) bool {
	if v.done {
		return false
	}
	fail := func(f auditv1.ChainFailure, seq int64, id, format string, args ...any) bool {
		v.res.Ok, v.res.Failure, v.res.FirstBadSequence, v.res.FirstBadRecordId = false, f, seq, id
		v.res.Reason = fmt.Sprintf(format, args...)
		v.done = true
		return false
	}
	switch {
	case v.prev == nil && r.Seq == 1 && !bytes.Equal(r.PrevHash, ZeroHash):
		return fail(auditv1.ChainFailure_CHAIN_FAILURE_LINK_MISMATCH, r.Seq, r.ID, "record %d is the first of the log but its prev_hash is not zero", r.Seq)
	case v.prev != nil && r.Seq != v.lastSeq+1:
		return fail(auditv1.ChainFailure_CHAIN_FAILURE_GAP, v.lastSeq+1, "", "record %d is missing (the next stored record is %d)", v.lastSeq+1, r.Seq)
	case v.prev != nil && !bytes.Equal(r.PrevHash, v.prev):
		return fail(auditv1.ChainFailure_CHAIN_FAILURE_LINK_MISMATCH, r.Seq, r.ID, "record %d's prev_hash does not match record %d's hash", r.Seq, v.lastSeq)
	}
	if !bytes.Equal(chainHash(r.PrevHash, r.Stored), r.Hash) {
		return fail(auditv1.ChainFailure_CHAIN_FAILURE_HASH_MISMATCH, r.Seq, r.ID, "record %d's content does not match its hash", r.Seq)
	}
	if what := v.consistent(r); what != "" {
		return fail(auditv1.ChainFailure_CHAIN_FAILURE_HASH_MISMATCH, r.Seq, r.ID, "record %d's stored %s differs from the hashed record", r.Seq, what)
	}
	v.prev, v.lastSeq = r.Hash, r.Seq
	v.res.RecordsChecked++
	v.res.VerifiedThroughSequence, v.res.VerifiedThroughHash = r.Seq, r.Hash
	return true
}

// consistent compares the row's query columns with the hashed bytes, so that
// an edit of a column (not only of the bytes) is caught. It names the first
// field that differs.
func (v *Verifier) consistent(r ChainRow) string {
	switch v.log {
	case auditv1.AuditLog_AUDIT_LOG_CALLS:
		rec := &auditv1.CallRecord{}
		if err := proto.Unmarshal(r.Stored, rec); err != nil {
			return "record bytes (undecodable)"
		}
		if rec.GetSequence() != r.Seq {
			return "sequence"
		}
		if rec.GetId() != r.ID {
			return "id"
		}
		if r.Columns != nil {
			return ColumnsOf(rec).diff(*r.Columns)
		}
	case auditv1.AuditLog_AUDIT_LOG_ADMIN_ACTIONS:
		a := &auditv1.AdminAction{}
		if err := proto.Unmarshal(r.Stored, a); err != nil {
			return "record bytes (undecodable)"
		}
		if a.GetSequence() != r.Seq {
			return "sequence"
		}
		if a.GetId() != r.ID {
			return "id"
		}
		if r.Columns != nil {
			return ActionColumnsOf(a).diff(*r.Columns)
		}
	}
	return ""
}

// Result returns the verification result so far; gap is the sequence
// number the caller expected after the last row but did not find (0 when
// the range ended as expected).
func (v *Verifier) Result(missingFrom int64) *auditv1.VerifyChainResponse {
	if !v.done && missingFrom > 0 {
		v.res.Ok, v.res.Failure, v.res.FirstBadSequence = false, auditv1.ChainFailure_CHAIN_FAILURE_GAP, missingFrom
		v.res.Reason = fmt.Sprintf("record %d is missing", missingFrom)
	}
	return v.res
}

// LastSeq is the last sequence number verified good.
func (v *Verifier) LastSeq() int64 { return v.lastSeq }
