import { useState } from 'react'
import { useEvent } from './herald.ts'

/** The clock demo: the latest `time`, a real `Date` (`useEvent('time')`). */
export function Clock() {
  const time = useEvent('time')
  return (
    <section>
      <h2>
        Clock (<code>time</code>, a <code>Date</code>)
      </h2>
      <div id="time" className="value" data-iso={time?.toISOString()}>
        {time?.toLocaleTimeString()}
      </div>
      <p className="note">
        <code>useEvent('time')</code>: <code>Date | undefined</code>
      </p>
    </section>
  )
}

/**
 * The two-event demo: a `name`, then its `age` a second later (`useEvent` of each). Until the new
 * person's age comes, the age on screen is the previous person's, so it is hidden; the demo's
 * people all have different ages, which is how a new one is told from the old one.
 */
export function Person() {
  const name = useEvent('name')
  const age = useEvent('age')
  // What the age was when the current name arrived: the previous person's.
  const [before, setBefore] = useState({ name, age })
  if (before.name !== name) setBefore({ name, age })
  const ageOfName = before.name !== name ? undefined : name === undefined || age !== before.age ? age : undefined
  return (
    <section>
      <h2>
        Person (<code>name</code>, then <code>age</code>)
      </h2>
      <div>
        {/* A page opened between a name and its age gets the age first. */}
        <span id="name" className="value">
          {name ?? (ageOfName === undefined ? '' : '…')}
        </span>{' '}
        <span id="age" className="value">
          {ageOfName === undefined ? '' : `${ageOfName} years`}
        </span>
      </div>
      <p className="note">
        <code>useEvent('name')</code>, <code>useEvent('age')</code>: <code>string</code>, <code>number</code>
      </p>
    </section>
  )
}
