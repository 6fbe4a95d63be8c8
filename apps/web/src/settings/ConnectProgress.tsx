import { useEffect, useState } from 'react';

const steps = [
  'Verifying your credentials with Twilio',
  'Finding the WhatsApp sender',
  'Configuring webhooks',
];

// The connect call is one request; the steps advance on a timer so people see
// what is happening. The last one stays current until the answer arrives.
const STEP_MS = 900;

/** A stepped indicator shown while the connect request runs; announced politely. */
export function ConnectProgress({ running }: { running: boolean }) {
  const [current, setCurrent] = useState(0);
  useEffect(() => {
    if (!running) {
      setCurrent(0);
      return;
    }
    const timer = window.setInterval(() => setCurrent((c) => Math.min(c + 1, steps.length - 1)), STEP_MS);
    return () => window.clearInterval(timer);
  }, [running]);

  // Only the sentence is live (announced once per step); the list beside it is not,
  // so a step change is not read out as the whole list again.
  return (
    <div className={running ? 'progress' : 'alert-region'}>
      <div role="status">{running && <p className="visually-hidden">{`${steps[current]}…`}</p>}</div>
      {running && (
        <ol className="progress__steps" aria-label="Connecting">
          {steps.map((label, index) => (
            <li
              key={label}
              className={`progress__step progress__step--${index < current ? 'done' : index === current ? 'current' : 'todo'}`}
              aria-current={index === current ? 'step' : undefined}
            >
              <span className="progress__marker" aria-hidden="true" />
              {label}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
