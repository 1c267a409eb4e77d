package wiring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/app/webhooks/webhookstest"
	"github.com/skillgate/skillgate/curriculum"
)

// BenchmarkObserve: what an endpoint subscribed to clearance.changed adds
// to a write (an observation): the levels read before and after it, in
// its transaction.
//
//	go test ./app/wiring -run '^$' -bench Observe -benchtime 200x
func BenchmarkObserve(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			svc := webhookstest.Services(b, dbtest.New(b, dialect), func() time.Time { return time.Now().UTC() })
			today := curriculum.DateOf(time.Now(), svc.Config.Location())
			c := webhookstest.NewClinic(b, svc, credentials.NewRecord{IssuedOn: today.AddDays(-30), ExpiresOn: today.AddDays(600)})
			n := 0
			observe := func(b *testing.B) {
				for b.Loop() {
					n++
					c.Observe(b, fmt.Sprintf("bench-observe-%06d", n))
				}
			}
			b.Run("no-endpoint", observe)
			ctx := audit.WithActor(context.Background(), audit.System("bench"))
			if _, _, err := svc.Webhooks.Create(ctx, webhooks.Input{URL: "https://93.184.216.34/hook", Enabled: true,
				Events: []string{webhooks.ClearanceChanged}}, c.Director.ID); err != nil {
				b.Fatal(err)
			}
			b.Run("clearance.changed", observe)
		})
	}
}
