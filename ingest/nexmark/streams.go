package nexmark

import "strconv"

var (
	firstNames = [...]string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = [...]string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	cities     = [...]string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	states     = [...]string{"AZ", "CA", "ID", "OR", "WA", "WY"}
)

// bid writes {"auction","bidder","price","channel","url","date_time","extra"}.
func (g *Generator) bid(b []byte, epoch, us int64) []byte {
	b = append(b, `{"auction":`...)
	b = strconv.AppendInt(b, g.pickAuction(epoch), 10)
	b = appendInt(b, "bidder", g.pick(lastPerson(epoch), hotBiddersRatio, activePeople))
	b = appendInt(b, "price", g.price())
	if g.rng.IntN(2) == 0 {
		i := g.rng.IntN(len(hotChannels))
		b = appendStr(b, "channel", []byte(hotChannels[i]))
		b = appendStr(b, "url", g.hotURL[i])
	} else {
		ch := g.rng.IntN(numChannels)
		b = append(appendField(b, "channel"), `"channel-`...)
		b = append(strconv.AppendInt(b, int64(ch), 10), '"')
		b = append(appendField(b, "url"), '"')
		b = append(g.appendURL(b, ch), '"')
	}
	b = appendTime(appendField(b, "date_time"), us)
	return g.appendExtra(b, bidSize)
}

// appendURL writes https://www.nexmark.com/<5>/<5>/<5>/item.htm?query=1
// with &channel_id=N when ch ≥ 0.
func (g *Generator) appendURL(b []byte, ch int) []byte {
	b = append(b, "https://www.nexmark.com/"...)
	for range 3 {
		b = append(append(b, g.letters(5)...), '/')
	}
	b = append(b, "item.htm?query=1"...)
	if ch >= 0 {
		b = strconv.AppendInt(append(b, "&channel_id="...), int64(ch), 10)
	}
	return b
}

// person writes {"id","name","email_address","credit_card","city","state","date_time","extra"}.
func (g *Generator) person(b []byte, id, us int64) []byte {
	first := firstNames[g.rng.IntN(len(firstNames))]
	last := lastNames[g.rng.IntN(len(lastNames))]
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(appendField(b, "name"), '"')
	b = append(append(append(append(b, first...), ' '), last...), '"')
	b = append(appendField(b, "email_address"), '"')
	b = append(append(b, g.letters(7)...), '@')
	b = append(append(b, g.letters(5)...), ".com\""...)
	b = append(appendField(b, "credit_card"), '"')
	for i := range 4 {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(1000+g.rng.IntN(9000)), 10)
	}
	b = append(b, '"')
	b = appendStr(b, "city", []byte(cities[g.rng.IntN(len(cities))]))
	b = appendStr(b, "state", []byte(states[g.rng.IntN(len(states))]))
	b = appendTime(appendField(b, "date_time"), us)
	return g.appendExtra(b, personSize)
}

// auction writes {"id","item_name","description","initial_bid","reserve",
// "date_time","expires","seller","category","extra"}.
func (g *Generator) auction(b []byte, id, epoch, us int64) []byte {
	initial := g.price()
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = appendStr(b, "item_name", g.letters(20))
	b = appendStr(b, "description", g.letters(100))
	b = appendInt(b, "initial_bid", initial)
	b = appendInt(b, "reserve", initial+g.price())
	b = appendTime(appendField(b, "date_time"), us)
	expires := us + int64(1+g.rng.IntN(60))*1_000_000
	b = appendTime(appendField(b, "expires"), expires)
	b = appendInt(b, "seller", g.pick(lastPerson(epoch), hotSellersRatio, activePeople))
	b = appendInt(b, "category", int64(10+g.rng.IntN(5)))
	return g.appendExtra(b, auctionSize)
}
