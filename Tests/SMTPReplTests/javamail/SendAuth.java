// Sends one message with Jakarta Mail and mail.debug=true over STARTTLS (or implicit TLS) with
// AUTH, the way an application's log captures it. Arguments: host port starttls|smtps|plain
// [user password [trace-auth]]; the CA to trust comes from -Djavax.net.ssl.trustStore.
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

public class SendAuth {
    public static void main(String[] args) throws Exception {
        String host = args[0], port = args[1], mode = args[2];
        String user = args.length > 3 ? args[3] : null, password = args.length > 4 ? args[4] : null;
        String protocol = mode.equals("smtps") ? "smtps" : "smtp";
        Properties properties = new Properties();
        properties.put("mail.transport.protocol", protocol);
        properties.put("mail." + protocol + ".host", host);
        properties.put("mail." + protocol + ".port", port);
        properties.put("mail." + protocol + ".localhost", "client.example.com");
        properties.put("mail." + protocol + ".ssl.checkserveridentity", "true");
        properties.put("mail." + protocol + ".timeout", "10000");
        if (mode.equals("starttls")) properties.put("mail.smtp.starttls.required", "true");
        if (user != null) properties.put("mail." + protocol + ".auth", "true");
        if (args.length > 5 && args[5].equals("trace-auth")) properties.put("mail.debug.auth", "true");
        properties.put("mail.debug", "true");
        Session session = Session.getInstance(properties);
        session.setDebugOut(System.out);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("alice@example.com"));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.com"));
        message.setSubject("field capture");
        message.setText("A line.\nDEBUG: a body line that looks like JavaMail's own.\n.A line that starts with a dot.\n");
        Transport transport = session.getTransport(protocol);
        if (user != null) transport.connect(user, password); else transport.connect();
        try {
            transport.sendMessage(message, message.getAllRecipients());
        } finally {
            transport.close();
        }
    }
}
