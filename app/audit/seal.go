package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// SealBatch is how many waiting entries one sealing transaction chains
// (5,000 kept up with 4,000 audited writes a second where 1,000 fell
// behind: docs/performance.md).
const SealBatch = 5000

// Seal chains the entries that wait for it (committed without a place in
// the chain), oldest id first, a batch per transaction, until none is
// left; it returns how many it chained. Each batch is one transaction
// under the chain's lock: a crash leaves the batch waiting as it was, and
// two sealers (two instances) take turns. Entries committed while it runs
// are chained too.
func Seal(ctx context.Context, idb bun.IDB) (int, error) {
	total := 0
	for {
		n, err := sealBatch(ctx, idb)
		total += n
		if err != nil || n < SealBatch {
			return total, err
		}
	}
}

func sealBatch(ctx context.Context, idb bun.IDB) (int, error) {
	// Cheap when nothing waits (the partial index holds only waiting
	// entries): no transaction, no lock.
	var waiting []int64
	if err := idb.NewSelect().Model((*Record)(nil)).Column("seq").Where("chain_seq IS NULL").Limit(1).Scan(ctx, &waiting); err != nil {
		return 0, fmt.Errorf("audit: look for entries to chain: %w", err)
	}
	if len(waiting) == 0 {
		return 0, nil
	}
	var n int
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lock(ctx, tx); err != nil {
			return err
		}
		var rows []Record
		if err := tx.NewSelect().Model(&rows).Where("chain_seq IS NULL").OrderExpr("seq ASC").Limit(SealBatch).Scan(ctx); err != nil {
			return fmt.Errorf("audit: read entries to chain: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		head, err := Head(ctx, tx)
		if err != nil {
			return err
		}
		link(rows, head)
		// One statement per chunk; "chain_seq IS NULL" and the row count
		// make sure nothing is chained twice.
		for start := 0; start < len(rows); start += insertChunk {
			chunk := rows[start:min(start+insertChunk, len(rows))]
			var b strings.Builder
			args := make([]any, 0, 4*len(chunk))
			b.WriteString("WITH v(seq, chain_seq, prev_hash, hash) AS (VALUES ")
			for i, r := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?)")
				args = append(args, r.Seq, *r.ChainSeq, r.PrevHash, r.Hash)
			}
			b.WriteString(") UPDATE audit_log SET chain_seq = v.chain_seq, prev_hash = v.prev_hash, hash = v.hash FROM v WHERE audit_log.seq = v.seq AND audit_log.chain_seq IS NULL")
			res, err := tx.NewRaw(b.String(), args...).Exec(ctx)
			if err != nil {
				return fmt.Errorf("audit: chain entries: %w", err)
			}
			if got, _ := res.RowsAffected(); got != int64(len(chunk)) {
				return fmt.Errorf("audit: chained %d of %d waiting entries: another sealer raced this one", got, len(chunk))
			}
		}
		n = len(rows)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// SealInterval is how often RunSealer looks for entries waiting to be
// chained when it found none the last time.
const SealInterval = 100 * time.Millisecond

// RunSealer chains waiting entries until ctx ends: every interval, and
// straight on while batches come back full. Every instance runs one; they
// take turns on the chain's lock. After each sealing it runs then, in
// order: work that follows the chain (a read model filing chained
// entries). Errors are logged and retried.
func RunSealer(ctx context.Context, idb bun.IDB, interval time.Duration, log *slog.Logger, then ...func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := Seal(ctx, idb); err != nil && ctx.Err() == nil {
			log.Warn("audit: chaining waiting entries failed; trying again", "error", err)
		}
		for _, f := range then {
			if err := f(ctx); err != nil && ctx.Err() == nil {
				log.Warn("audit: following the chain failed; trying again", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
